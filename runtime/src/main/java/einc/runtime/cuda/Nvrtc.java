package einc.runtime.cuda;

import static org.bytedeco.cuda.global.nvrtc.*;

import java.nio.charset.StandardCharsets;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

/** Compiles CUDA C++ to a cubin at run time with NVRTC; a failed compile reports NVRTC's log. */
public final class Nvrtc {

    private Nvrtc() {}

    /** NVRTC's version as {@code major.minor}, part of the cache key. */
    public static String version() {
        int[] major = new int[1], minor = new int[1];
        try {
            if (nvrtcVersion(major, minor) != NVRTC_SUCCESS) return "unknown";
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new CudaUnavailableException("NVRTC could not be loaded: install the CUDA toolkit's libnvrtc, or load an ahead-of-time cubin");
        }
        return major[0] + "." + minor[0];
    }

    /** The cubin of {@code source} for {@code arch} (e.g. {@code sm_90}). */
    public static byte[] compile(String source, String fileName, String arch) {
        _nvrtcProgram prog = new _nvrtcProgram();
        check(nvrtcCreateProgram(prog, new BytePointer(source), new BytePointer(fileName), 0, (PointerPointer<?>) null, (PointerPointer<?>) null), "nvrtcCreateProgram");
        try {
            String[] opts = {"-arch=" + arch, "-std=c++17", "-default-device"};
            int rc = nvrtcCompileProgram(prog, opts.length, new PointerPointer<BytePointer>(opts));
            if (rc != NVRTC_SUCCESS) {
                SizeTPointer n = new SizeTPointer(1);
                nvrtcGetProgramLogSize(prog, n);
                BytePointer log = new BytePointer(n.get());
                nvrtcGetProgramLog(prog, log);
                throw new CudaException("NVRTC could not compile " + fileName + ": " + log.getString(StandardCharsets.UTF_8).strip());
            }
            SizeTPointer n = new SizeTPointer(1);
            check(nvrtcGetCUBINSize(prog, n), "nvrtcGetCUBINSize");
            byte[] cubin = new byte[(int) n.get()];
            check(nvrtcGetCUBIN(prog, cubin), "nvrtcGetCUBIN");
            return cubin;
        } finally {
            nvrtcDestroyProgram(prog);
        }
    }

    private static void check(int rc, String call) {
        if (rc != NVRTC_SUCCESS) throw new CudaException(call + " failed: " + nvrtcGetErrorString(rc).getString());
    }
}
