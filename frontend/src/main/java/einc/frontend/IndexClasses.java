package einc.frontend;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Union-find over index names: indices used at the same rank of a tensor share one extent.
 * A class may carry a statically known extent (the tile of a split's inner part); merging two
 * classes whose known extents differ is a conflict the caller reports.
 */
final class IndexClasses {

    /** A statically known extent and where it comes from ("split of 'm'"). */
    record Known(long value, String origin) {}

    /** Two known extents that a union found to differ. */
    record Conflict(Known a, Known b) {}

    private final Map<String, String> parent = new LinkedHashMap<>();
    private final Map<String, Known> known = new LinkedHashMap<>();

    void add(String index) {
        parent.putIfAbsent(index, index);
    }

    boolean contains(String index) {
        return parent.containsKey(index);
    }

    String find(String index) {
        add(index);
        String root = index;
        while (!parent.get(root).equals(root)) root = parent.get(root);
        String at = index;
        while (!parent.get(at).equals(root)) {
            String next = parent.get(at);
            parent.put(at, root);
            at = next;
        }
        return root;
    }

    void setKnown(String index, Known k) {
        known.putIfAbsent(find(index), k);
    }

    /** Merges the classes of {@code a} and {@code b}; returns the conflict of their known extents, or null. */
    Conflict union(String a, String b) {
        String ra = find(a);
        String rb = find(b);
        if (ra.equals(rb)) return null;
        Known ka = known.get(ra);
        Known kb = known.get(rb);
        parent.put(rb, ra);
        known.remove(rb);
        if (ka == null && kb != null) known.put(ra, kb);
        return ka != null && kb != null && ka.value() != kb.value() ? new Conflict(ka, kb) : null;
    }

    /** The members of the class of {@code index}, in the order they were first added. */
    List<String> members(String index) {
        String root = find(index);
        List<String> out = new ArrayList<>();
        for (String i : new ArrayList<>(parent.keySet())) if (find(i).equals(root)) out.add(i);
        return out;
    }
}
