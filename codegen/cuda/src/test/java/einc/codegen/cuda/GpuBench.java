package einc.codegen.cuda;

import einc.ir.Cascade;
import einc.ir.TensorDecl;
import einc.runtime.cuda.CudaCheck;
import einc.runtime.cuda.CudaKernel;
import einc.runtime.cuda.CudaPlan;
import einc.testing.Errors;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Times (and, for the first of several builds, keeps the output of) the fused kernels of {@link BenchCases} on inputs written by bench/gpu/anchors.py
 * ({@code q64.npy} ... as f32 [B, H, N, D]), writes {@code ours.csv} (case, D, median ms) and the
 * first batch of each output as {@code out_<case>_d<D>.npy} for the anchors to compare.
 * Usage: {@code GpuBench INPUTS AOTDIR}.
 */
public final class GpuBench {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public static void main(String[] args) throws Exception {
        Path in = Path.of(args[0]);
        // kernel builds to compare: the first folder, and LABEL=DIR for earlier builds; the fastest of each case is reported
        Map<String, Path> builds = new LinkedHashMap<>();
        builds.put("current", Path.of(args[1]));
        for (int i = 2; i < args.length; i++) builds.put(args[i].substring(0, args[i].indexOf('=')), Path.of(args[i].substring(args[i].indexOf('=') + 1)));
        CudaCheck.require();
        StringBuilder csv = new StringBuilder("case,d,ms\n");
        StringBuilder all = new StringBuilder("case,d,build,ms\n");
        for (int d : new int[] {64, 128}) {
            Map<String, float[]> data = new LinkedHashMap<>();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            for (String t : new String[] {"Q", "K", "V"}) {
                Npy n = Npy.read(in.resolve(t.toLowerCase(Locale.ROOT) + d + ".npy"));
                data.put(t, n.data);
                shapes.put(t, n.shape);
            }
            for (Map.Entry<String, Cascade> e : BenchCases.cascades().entrySet()) {
                Cascade c = e.getValue();
                double best = Double.POSITIVE_INFINITY;
                String bestBuild = null;
                double first = Double.NaN;  // the first build's time: ours.csv reports the code as it stands, not the best of the builds
                double[] firstOut = null;   // its output (batch 0), against which every other build's is compared
                for (Map.Entry<String, Path> b : builds.entrySet()) {
                    Path dir = b.getValue().resolve("bench_" + e.getKey());
                    if (!Files.isDirectory(dir)) continue;
                    CudaKernel k = CudaKernel.load(dir);
                    Map<String, Long> x = k.extents(shapes, Map.of());
                    try (CudaKernel.Session s = k.bind(x)) {
                        for (TensorDecl t : c.inputs()) s.upload(t.name(), encode(Layout.type(t.type()), data.get(t.name())));
                        s.poisonOutputs();
                        double ms = s.medianMillis(Map.of(), 3, e.getKey().endsWith("f32") ? 10 : 30);
                        all.append(e.getKey()).append(',').append(d).append(',').append(b.getKey()).append(',').append(String.format(Locale.ROOT, "%.4f", ms)).append('\n');
                        double[] out = batch0(c, s);
                        String agree = "";
                        if (firstOut != null) {
                            double rel = Errors.relativeL2(out, firstOut);
                            agree = String.format(Locale.ROOT, "  rel. to %s %.2e%s", builds.keySet().iterator().next(), rel, rel < 2e-2 ? "" : " DIFFERS");
                        }
                        System.out.printf(Locale.ROOT, "%-20s D=%-4d %-8s %9.3f ms%s%n", e.getKey(), d, b.getKey(), ms, agree);
                        if (ms < best) {
                            best = ms;
                            bestBuild = b.getKey();
                        }
                        if (Double.isNaN(first)) {
                            first = ms;
                            // the output of the first build (the code as it stands) is the one the anchors check
                            firstOut = out;
                            long[] os = s.shape(c.outputs().getFirst().name());
                            float[] f = new float[out.length];
                            for (int i = 0; i < f.length; i++) f[i] = (float) out[i];
                            Npy.write(in.resolve("out_" + e.getKey() + "_d" + d + ".npy"), new long[] {os[1], os[2], os[3]}, f);
                        }
                    }
                }
                csv.append(e.getKey()).append(',').append(d).append(',').append(String.format(Locale.ROOT, "%.4f", first)).append('\n');
                System.out.printf(Locale.ROOT, "%-20s D=%-4d best %-8s %9.3f ms%n", e.getKey(), d, bestBuild, best);
            }
        }
        Files.writeString(in.resolve("ours.csv"), csv);
        Files.writeString(in.resolve("builds.csv"), all);
    }

    /** The first batch entry of the cascade's output, decoded. */
    static double[] batch0(Cascade c, CudaKernel.Session s) {
        TensorDecl o = c.outputs().getFirst();
        CudaPlan.Type ot = Layout.type(o.type());
        MemorySegment host = MemorySegment.ofArray(new byte[(int) s.bytes(o.name())]);
        s.download(o.name(), host);
        long[] os = s.shape(o.name());
        double[] out = new double[(int) (os[1] * os[2] * os[3])];
        for (int i = 0; i < out.length; i++) out[i] = decode(ot, host, i);
        return out;
    }

    static MemorySegment encode(CudaPlan.Type t, float[] v) {
        MemorySegment s = MemorySegment.ofArray(new byte[Math.multiplyExact(v.length, t.bytes)]);
        ValueLayout.OfShort s16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.length; i++) {
            switch (t) {
                case F32 -> s.setAtIndex(F32, i, v[i]);
                case BF16 -> s.setAtIndex(s16, i, HostData.toBf16(v[i]));
                case F16 -> s.setAtIndex(s16, i, Float.floatToFloat16(v[i]));
                case F64 -> s.setAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, v[i]);
            }
        }
        return s;
    }

    static double decode(CudaPlan.Type t, MemorySegment s, long i) {
        ValueLayout.OfShort s16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        return switch (t) {
            case F32 -> s.getAtIndex(F32, i);
            case BF16 -> HostData.fromBf16(s.getAtIndex(s16, i));
            case F16 -> Float.float16ToFloat(s.getAtIndex(s16, i));
            case F64 -> s.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i);
        };
    }

    /** A minimal .npy for little-endian f32 C-order arrays. */
    record Npy(long[] shape, float[] data) {
        static Npy read(Path p) throws IOException {
            byte[] b = Files.readAllBytes(p);
            int hlen, start;
            if (b[6] == 1) {
                hlen = (b[8] & 0xFF) | (b[9] & 0xFF) << 8;
                start = 10;
            } else {
                hlen = (b[8] & 0xFF) | (b[9] & 0xFF) << 8 | (b[10] & 0xFF) << 16 | (b[11] & 0xFF) << 24;
                start = 12;
            }
            String header = new String(b, start, hlen, StandardCharsets.ISO_8859_1);
            if (!header.contains("'<f4'") || header.contains("'fortran_order': True")) throw new IOException(p + ": only C-order <f4 arrays are read");
            String sh = header.substring(header.indexOf("'shape':") + 8);
            sh = sh.substring(sh.indexOf('(') + 1, sh.indexOf(')'));
            long[] shape = Arrays.stream(sh.split(",")).map(String::strip).filter(s -> !s.isEmpty()).mapToLong(Long::parseLong).toArray();
            int off = start + hlen;
            int n = (b.length - off) / 4;
            float[] data = new float[n];
            MemorySegment.ofArray(b).asSlice(off, 4L * n).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
            return new Npy(shape, data);
        }

        static void write(Path p, long[] shape, float[] data) throws IOException {
            StringBuilder sh = new StringBuilder();
            for (long d : shape) sh.append(d).append(", ");
            String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + sh.toString().strip() + "), }";
            int total = 10 + dict.length() + 1;
            int pad = (64 - total % 64) % 64;
            String header = dict + " ".repeat(pad) + "\n";
            byte[] out = new byte[10 + header.length() + 4 * data.length];
            out[0] = (byte) 0x93;
            System.arraycopy("NUMPY".getBytes(StandardCharsets.ISO_8859_1), 0, out, 1, 5);
            out[6] = 1;
            out[7] = 0;
            out[8] = (byte) (header.length() & 0xFF);
            out[9] = (byte) (header.length() >> 8);
            System.arraycopy(header.getBytes(StandardCharsets.ISO_8859_1), 0, out, 10, header.length());
            MemorySegment.ofArray(out).asSlice(10 + header.length()).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(data);
            Files.write(p, out);
        }
    }
}
