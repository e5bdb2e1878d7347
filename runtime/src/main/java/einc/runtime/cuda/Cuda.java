package einc.runtime.cuda;

import static org.bytedeco.cuda.global.cudart.*;

import java.lang.foreign.MemorySegment;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The CUDA driver API through the JavaCPP presets, reduced to what einc needs: one device's primary
 * context, device memory, module load, launch and events. Every call's status is checked.
 * {@link #open()} says in one sentence why there is no GPU when there is none.
 */
public final class Cuda {

    private static Cuda instance;
    /** Why the first attempt to open the GPU failed, repeated to every later caller. */
    private static CudaUnavailableException unavailable;

    private final CUctx_st context;
    private final int device;
    private final String name;
    private final int major, minor;

    private Cuda(CUctx_st context, int device, String name, int major, int minor) {
        this.context = context;
        this.device = device;
        this.name = name;
        this.major = major;
        this.minor = minor;
    }

    /**
     * The first GPU's primary context, made current on this thread.
     *
     * @throws CudaUnavailableException when the CUDA jars, the driver or a device is missing
     */
    public static synchronized Cuda open() {
        if (instance != null) {
            check(cuCtxSetCurrent(instance.context), "cuCtxSetCurrent");
            return instance;
        }
        // a class whose initialization failed is not retried by the JVM (the next attempt is a
        // NoClassDefFoundError): the first reason is the one to repeat
        if (unavailable != null) throw new CudaUnavailableException(unavailable.getMessage());
        int rc;
        try {
            Class.forName("org.bytedeco.cuda.global.cudart");
            rc = cuInit(0);
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            unavailable = new CudaUnavailableException("the CUDA backend needs org.bytedeco:cuda and org.bytedeco:javacpp on the class path");
            throw unavailable;
        } catch (UnsatisfiedLinkError | ExceptionInInitializerError e) {
            unavailable = new CudaUnavailableException("no CUDA driver found (libcuda could not be loaded): run on a machine with an NVIDIA GPU and its driver, or choose another backend");
            throw unavailable;
        }
        if (rc == CUDA_ERROR_NO_DEVICE) throw new CudaUnavailableException("the CUDA driver found no GPU: run on a machine with an NVIDIA GPU, or choose another backend");
        if (rc != CUDA_SUCCESS) throw new CudaUnavailableException("the CUDA driver did not start (" + errorName(rc) + "): check the NVIDIA driver, or choose another backend");
        int[] dev = new int[1];
        check(cuDeviceGet(dev, 0), "cuDeviceGet");
        byte[] nm = new byte[256];
        check(cuDeviceGetName(nm, nm.length, dev[0]), "cuDeviceGetName");
        int[] maj = new int[1], min = new int[1];
        check(cuDeviceGetAttribute(maj, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev[0]), "cuDeviceGetAttribute");
        check(cuDeviceGetAttribute(min, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev[0]), "cuDeviceGetAttribute");
        CUctx_st ctx = new CUctx_st();
        check(cuDevicePrimaryCtxRetain(ctx, dev[0]), "cuDevicePrimaryCtxRetain");
        check(cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
        String name = new String(nm).trim();
        int z = name.indexOf('\0');
        instance = new Cuda(ctx, dev[0], z >= 0 ? name.substring(0, z) : name, maj[0], min[0]);
        return instance;
    }

    public String deviceName() {
        return name;
    }

    /** The compute capability as {@code sm_XY}. */
    public String arch() {
        return "sm_" + major + minor;
    }

    static String errorName(int rc) {
        try {
            BytePointer p = new BytePointer((Pointer) null);
            if (cuGetErrorName(rc, p) == CUDA_SUCCESS && p.address() != 0) return p.getString();
        } catch (Throwable ignored) {
            // fall through to the number
        }
        return "CUDA error " + rc;
    }

    static void check(int rc, String call) {
        if (rc != CUDA_SUCCESS) throw new CudaException(call + " failed: " + errorName(rc));
    }

    // ---- memory

    public long alloc(long bytes) {
        long[] p = new long[1];
        check(cuMemAlloc(p, Math.max(bytes, 1)), "cuMemAlloc(" + bytes + " bytes)");
        return p[0];
    }

    public void free(long ptr) {
        if (ptr != 0) check(cuMemFree(ptr), "cuMemFree");
    }

    public void zero(long ptr, long bytes) {
        if (bytes > 0) check(cuMemsetD8(ptr, (byte) 0, bytes), "cuMemsetD8");
    }

    /** Fills with 0xFF bytes: NaN for every float type, so an unwritten output shows. */
    public void poison(long ptr, long bytes) {
        if (bytes > 0) check(cuMemsetD8(ptr, (byte) 0xFF, bytes), "cuMemsetD8");
    }

    public void upload(long dst, MemorySegment src) {
        long n = src.byteSize();
        if (n == 0) return;
        BytePointer staging = new BytePointer(n);
        try {
            MemorySegment.ofAddress(staging.address()).reinterpret(n).copyFrom(src);
            check(cuMemcpyHtoD(dst, staging, n), "cuMemcpyHtoD");
        } finally {
            staging.deallocate();
        }
    }

    public void download(MemorySegment dst, long src) {
        long n = dst.byteSize();
        if (n == 0) return;
        BytePointer staging = new BytePointer(n);
        try {
            check(cuMemcpyDtoH(staging, src, n), "cuMemcpyDtoH");
            dst.copyFrom(MemorySegment.ofAddress(staging.address()).reinterpret(n));
        } finally {
            staging.deallocate();
        }
    }

    // ---- modules and launches

    /** A loaded module: cubin (or PTX) image. */
    public record Module(CUmod_st handle) {}

    public Module load(byte[] image) {
        CUmod_st m = new CUmod_st();
        BytePointer p = new BytePointer(image.length + 1L);
        p.put(image).put(image.length, (byte) 0);
        check(cuModuleLoadData(m, p), "cuModuleLoadData");
        return new Module(m);
    }

    public CUfunc_st function(Module m, String name) {
        CUfunc_st f = new CUfunc_st();
        check(cuModuleGetFunction(f, m.handle(), name), "cuModuleGetFunction(" + name + ")");
        return f;
    }

    public void allowSharedMemory(CUfunc_st f, int bytes) {
        check(cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes), "cuFuncSetAttribute(shared memory " + bytes + ")");
    }

    /** Launches {@code f(args, step)}: the argument block of 64-bit slots by value, and the step. */
    public void launch(CUfunc_st f, long gx, long gy, long gz, int block, int shared, long[] slots, long step) {
        if (gx <= 0 || gy <= 0 || gz <= 0) return;
        if (gx > Integer.MAX_VALUE || gy > 65535 || gz > 65535) throw new CudaException("grid " + gx + "x" + gy + "x" + gz + " is too large");
        LongPointer argBlock = new LongPointer(slots);
        LongPointer stepArg = new LongPointer(new long[] {step});
        PointerPointer<Pointer> args = new PointerPointer<>(argBlock, stepArg);
        try {
            check(cuLaunchKernel(f, (int) gx, (int) gy, (int) gz, block, 1, 1, shared, (CUstream_st) null, args, null), "cuLaunchKernel");
        } finally {
            args.deallocate();
            argBlock.deallocate();
            stepArg.deallocate();
        }
    }

    public void synchronize() {
        check(cuCtxSynchronize(), "cuCtxSynchronize (a kernel failed)");
    }

    /** Milliseconds the device spent on {@code work}, measured with events. */
    public float time(Runnable work) {
        CUevent_st a = new CUevent_st(), b = new CUevent_st();
        check(cuEventCreate(a, CU_EVENT_DEFAULT), "cuEventCreate");
        check(cuEventCreate(b, CU_EVENT_DEFAULT), "cuEventCreate");
        try {
            check(cuEventRecord(a, (CUstream_st) null), "cuEventRecord");
            work.run();
            check(cuEventRecord(b, (CUstream_st) null), "cuEventRecord");
            check(cuEventSynchronize(b), "cuEventSynchronize");
            float[] ms = new float[1];
            check(cuEventElapsedTime(ms, a, b), "cuEventElapsedTime");
            return ms[0];
        } finally {
            cuEventDestroy(a);
            cuEventDestroy(b);
        }
    }
}
