package einc.runtime;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * Splits the outer loop of one loop nest of a slice into chunks that run on the launch's pool
 * (generated code calls it where a nest's outer points are independent): a few chunks per
 * thread, so that a thread slowed by other work does not hold the rest up.
 */
public final class Chunks {

    /** Chunks per thread of the pool (the fused JVM attention kernel deals its query tiles into as many units). */
    public static final int PER_THREAD = 4;

    private Chunks() {}

    /** Runs outer points 0 to {@code n} of nest {@code nest}, split among {@code launch.pool}'s threads when it has any. */
    public static void run(Launch launch, CompiledCascade code, int nest, Object[] frame, int n) {
        ForkJoinPool pool = launch.pool;
        int parts = pool == null ? 1 : (int) Math.min(n, (long) pool.getParallelism() * PER_THREAD);
        if (parts <= 1) {
            code.chunk(nest, frame, 0, n);
            return;
        }
        Part root = new Part(code, nest, frame, n, parts, 0, parts);
        if (ForkJoinTask.getPool() == pool) root.invoke();
        else pool.invoke(root);
    }

    /** Chunks {@code a} to {@code b} of {@code parts}, halved until one is left. */
    private static final class Part extends RecursiveAction {
        private final CompiledCascade code;
        private final int nest, n, parts, a, b;
        private final Object[] frame;

        Part(CompiledCascade code, int nest, Object[] frame, int n, int parts, int a, int b) {
            this.code = code;
            this.nest = nest;
            this.frame = frame;
            this.n = n;
            this.parts = parts;
            this.a = a;
            this.b = b;
        }

        @Override
        protected void compute() {
            if (b - a == 1) {
                code.chunk(nest, frame, (int) ((long) a * n / parts), (int) ((long) b * n / parts));
                return;
            }
            int mid = (a + b) >>> 1;
            invokeAll(new Part(code, nest, frame, n, parts, a, mid), new Part(code, nest, frame, n, parts, mid, b));
        }
    }
}
