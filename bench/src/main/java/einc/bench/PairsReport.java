package einc.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Summarizes the JMH JSON files of {@code bench/cpu-pairs.sh}: one file per round and case, in
 * which einc's JVM and LLVM kernels and both ONNX Runtime operators ran back to back, so that
 * each ratio compares measurements a minute apart at most (the shared machine drifts 10-30%
 * over longer spans). Prints, per case, every round's medians (ms) and ratios (the faster ORT
 * operator's median time / einc's, or the hand-written Vector API attention's) and einc's median
 * ratio over the rounds, as Markdown.
 * {@code java -cp bench/target/benchmarks.jar einc.bench.PairsReport FILE...}
 */
public final class PairsReport {

    private PairsReport() {}

    /** The median of one benchmark's measured calls (all forks). */
    record Result(String benchmark, String shape, String op, double median) {}

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: PairsReport JMH_JSON...  (files of bench/cpu-pairs.sh)");
            System.exit(2);
        }
        // case -> round (file) -> results
        Map<String, Map<String, List<Result>>> byCase = new TreeMap<>();
        for (String file : args) {
            for (Result r : read(Path.of(file)))
                byCase.computeIfAbsent(r.shape(), k -> new LinkedHashMap<>()).computeIfAbsent(file, k -> new ArrayList<>()).add(r);
        }
        System.out.println("| case | round | JVM | LLVM | hand-written | ORT mha | ORT attention | JVM / ORT | LLVM / ORT | hand-written / ORT |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        Map<String, String> summary = new LinkedHashMap<>();
        for (var c : byCase.entrySet()) {
            List<Double> jvmRatios = new ArrayList<>(), llvmRatios = new ArrayList<>();
            int round = 0;
            for (var f : c.getValue().entrySet()) {
                round++;
                double jvm = find(f.getValue(), "AttentionBench.einc", ""), llvm = find(f.getValue(), "LlvmBench.llvm", "");
                double hand = find(f.getValue(), "AttentionBench.handVector", "");
                double mha = find(f.getValue(), "OrtBench.ort", "mha"), att = find(f.getValue(), "OrtBench.ort", "attention");
                double ort = Double.isNaN(mha) ? att : Double.isNaN(att) ? mha : Math.min(mha, att);
                double rj = ort / jvm, rl = ort / llvm;
                if (!Double.isNaN(rj)) jvmRatios.add(rj);
                if (!Double.isNaN(rl)) llvmRatios.add(rl);
                System.out.printf("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |%n", c.getKey(), round, ms(jvm), ms(llvm), ms(hand), ms(mha), ms(att),
                        ratio(rj), ratio(rl), ratio(ort / hand));
            }
            summary.put(c.getKey(), "JVM / ORT " + ratio(median(jvmRatios)) + " (" + range(jvmRatios) + "), LLVM / ORT "
                    + ratio(median(llvmRatios)) + " (" + range(llvmRatios) + ") over " + round + " rounds");
        }
        System.out.println();
        summary.forEach((k, v) -> System.out.println("- " + k + ": median " + v));
    }

    static List<Result> read(Path file) throws IOException {
        List<Result> out = new ArrayList<>();
        JsonArray runs = JsonParser.parseString(Files.readString(file)).getAsJsonArray();
        for (JsonElement e : runs) {
            JsonObject b = e.getAsJsonObject();
            String name = b.get("benchmark").getAsString();
            String[] parts = name.split("\\.");
            String shortName = parts[parts.length - 2] + "." + parts[parts.length - 1];
            JsonObject params = b.has("params") ? b.getAsJsonObject("params") : new JsonObject();
            String shape = params.has("shape") ? params.get("shape").getAsString() : "";
            String op = params.has("op") ? params.get("op").getAsString() : "";
            List<Double> calls = new ArrayList<>();
            for (JsonElement fork : b.getAsJsonObject("primaryMetric").getAsJsonArray("rawData"))
                for (JsonElement v : fork.getAsJsonArray()) calls.add(v.getAsDouble());
            out.add(new Result(shortName, shape, op, median(calls)));
        }
        return out;
    }

    static double find(List<Result> rs, String benchmark, String op) {
        for (Result r : rs) if (r.benchmark().equals(benchmark) && r.op().equals(op)) return r.median();
        return Double.NaN;
    }

    static double median(List<Double> xs) {
        if (xs.isEmpty()) return Double.NaN;
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    static String range(List<Double> xs) {
        if (xs.isEmpty()) return "-";
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return ratio(a[0]) + ".." + ratio(a[a.length - 1]);
    }

    static String ms(double x) {
        return Double.isNaN(x) ? "" : x >= 100 ? String.format("%.1f", x) : String.format("%.2f", x);
    }

    static String ratio(double x) {
        return Double.isNaN(x) ? "-" : String.format("%.2fx", x);
    }
}
