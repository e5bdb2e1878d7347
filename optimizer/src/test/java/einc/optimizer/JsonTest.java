package einc.optimizer;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The JSON writer: order kept, strings escaped. */
class JsonTest {

    @Test
    void writesInInsertionOrderWithEscapes() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("z", 1);
        m.put("a", List.of("x\"y", "tab\t"));
        m.put("n", null);
        m.put("o", Map.of());
        assertEquals("{\n  \"z\": 1,\n  \"a\": [\"x\\\"y\", \"tab\\t\"],\n  \"n\": null,\n  \"o\": {}\n}\n", Json.write(m));
    }
}
