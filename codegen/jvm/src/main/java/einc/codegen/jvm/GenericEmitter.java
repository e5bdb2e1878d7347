package einc.codegen.jvm;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.IndexDef;
import einc.ir.IndexExpr;
import einc.ir.Param;
import einc.ir.ReduceOp;
import einc.ir.TensorDecl;
import einc.optimizer.Schedule;
import einc.optimizer.rewrite.MaskToBounds;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.objectweb.asm.Opcodes.*;

/**
 * The generic, always-applicable code shape, lowered from the cascade's {@link
 * einc.optimizer.Schedule}: the {@code slice} method runs the loop nests in order, each as loops
 * over its outer ranks around its statements (recurrences as a sequential loop over their
 * iterative rank), and every statement is a static method that loops over its own ranks for one
 * outer point. Intermediates local to a nest hold one outer point (a scalar or a row), the others
 * live whole. A statement follows the reference interpreter point by point (f32 values, presence
 * flags only for tensors {@link Presence} cannot prove dense), except that a dense sum (or max)
 * whose innermost rank walks contiguous rows runs as a row kernel ({@link RowKernels}: dot
 * product, sum, max, or scaled add into the target's last rank), vectorized when the Vector API
 * is present.
 */
final class GenericEmitter {

    static final String COMPILED = "einc/runtime/CompiledCascade";
    static final String LAUNCH = "einc/runtime/Launch";
    static final String FNS = "einc/runtime/Fns";
    static final String STATEMENT_DESC = "([[F[[Z[I[F[II)V";
    /** A split nest's chunk method: the slice's tensors, presence flags, extents, parameters, point, and the outer range. */
    static final String NEST_DESC = "([[F[[Z[I[F[III)V";
    static final String CHUNKS = "einc/runtime/Chunks";

    private final KernelPlan plan;
    private final Cascade c;
    private final String className;
    /** Every tensor (inputs, outputs, intermediates) to its index in the statement methods' arrays. */
    private final Map<String, Integer> all = new LinkedHashMap<>();

    GenericEmitter(KernelPlan plan, String className) {
        this.plan = plan;
        this.c = plan.cascade;
        this.className = className;
        for (TensorDecl t : c.tensors()) all.put(t.name(), all.size());
    }

    byte[] emit() {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
        cw.visit(V21, ACC_PUBLIC | ACC_FINAL | ACC_SUPER, className, null, "java/lang/Object", new String[] {COMPILED});
        cw.visitSource(c.name() + ".ein", null);
        Emit.constructor(cw);
        copyRowKernels(cw);
        emitDefaults(cw);
        emitSlices(cw);
        emitSlice(cw);
        emitChunk(cw);
        for (int id = 0; id < plan.schedule.nests().size(); id++)
            if (plan.split(plan.schedule.nests().get(id))) emitNestMethod(cw, plan.schedule.nests().get(id), id);
        for (int i = 0; i < c.statements().size(); i++) new StatementEmitter(c.statements().get(i), i).emit(cw);
        cw.visitEnd();
        return cw.toByteArray();
    }

    private void emitDefaults(ClassWriter cw) {
        emitDefaults(cw, plan);
    }

    static final String ROW_KERNELS = "einc/codegen/jvm/RowKernels";
    static final String VECTOR_SPECIES = "jdk/incubator/vector/VectorSpecies";
    static final String SPECIES_DESC = "L" + VECTOR_SPECIES + ";";
    /** Vector arguments are cast to this exact type, so that verifying the class never loads the module. */
    static final String VECTOR = "jdk/incubator/vector/Vector";

    /** Copies {@link RowKernels}' fields, static initializer and row methods into the class, under its name. */
    private void copyRowKernels(ClassWriter cw) {
        byte[] bytes;
        try (java.io.InputStream in = RowKernels.class.getResourceAsStream("RowKernels.class")) {
            if (in == null) throw new IllegalStateException("the row kernels class is missing from the class path");
            bytes = in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        new org.objectweb.asm.ClassReader(bytes).accept(new org.objectweb.asm.ClassVisitor(ASM9, cw) {
            @Override
            public void visit(int version, int access, String n, String sig, String superName, String[] interfaces) {}

            @Override
            public void visitSource(String source, String debug) {}

            @Override
            public org.objectweb.asm.AnnotationVisitor visitAnnotation(String desc, boolean visible) {
                return null;
            }

            @Override
            public void visitInnerClass(String n, String outer, String inner, int access) {}

            @Override
            public void visitNestHost(String host) {}

            @Override
            public void visitNestMember(String member) {}

            @Override
            public MethodVisitor visitMethod(int access, String n, String desc, String sig, String[] exceptions) {
                if (n.equals("<init>")) return null;
                return new MethodVisitor(ASM9, super.visitMethod(access, n, desc, sig, exceptions)) {
                    @Override
                    public void visitMethodInsn(int op, String owner, String mn, String md, boolean itf) {
                        super.visitMethodInsn(op, owner.equals(ROW_KERNELS) ? className : owner, mn, md, itf);
                    }

                    @Override
                    public void visitFieldInsn(int op, String owner, String fn, String fd) {
                        super.visitFieldInsn(op, owner.equals(ROW_KERNELS) ? className : owner, fn, fd);
                    }
                };
            }

            @Override
            public void visitEnd() {}
        }, ClassReader.SKIP_FRAMES | ClassReader.SKIP_DEBUG);
    }

    /** {@code defaults(int[] X, double[] prm, boolean[] given)}: each parameter's default where none was given. */
    static void emitDefaults(ClassWriter cw, KernelPlan plan) {
        Cascade c = plan.cascade;
        MethodVisitor mv = cw.visitMethod(ACC_PUBLIC, "defaults", "([I[D[Z)V", null, null);
        mv.visitCode();
        // Scalar expressions over extents (local 1 = X) and earlier parameters (local 2 = prm).
        for (Param p : c.params()) {
            if (p.defaultValue() == null) continue;
            int i = plan.param.get(p.name());
            Label skip = new Label();
            mv.visitVarInsn(ALOAD, 3);
            Emit.iconst(mv, i);
            mv.visitInsn(BALOAD);
            mv.visitJumpInsn(IFNE, skip);
            mv.visitVarInsn(ALOAD, 2);
            Emit.iconst(mv, i);
            new ScalarExpr(plan, mv, 1, 2).emit(p.defaultValue());
            mv.visitInsn(F2D);
            mv.visitInsn(DASTORE);
            mv.visitLabel(skip);
        }
        mv.visitInsn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    /** Emits constant expressions (params' defaults) as f32 from an int[] of extents and a double[] of params. */
    private static final class ScalarExpr {
        private final KernelPlan plan;
        private final MethodVisitor mv;
        private final int extents, params;

        ScalarExpr(KernelPlan plan, MethodVisitor mv, int extents, int params) {
            this.plan = plan;
            this.mv = mv;
            this.extents = extents;
            this.params = params;
        }

        void emit(Expr e) {
            switch (e) {
                case Expr.Const(double v) -> Emit.fconst(mv, (float) v);
                case Expr.ParamRef(String n) -> {
                    mv.visitVarInsn(ALOAD, params);
                    Emit.iconst(mv, plan.param.get(n));
                    mv.visitInsn(DALOAD);
                    mv.visitInsn(D2F);
                }
                case Expr.ExtentRef(String ix) -> {
                    mv.visitVarInsn(ALOAD, extents);
                    Emit.iconst(mv, plan.extent.get(ix));
                    mv.visitInsn(IALOAD);
                    mv.visitInsn(I2F);
                }
                case Expr.Unary(Expr.Fn fn, Expr x) -> {
                    emit(x);
                    Emit.unary(mv, fn);
                }
                case Expr.Binary(Expr.Op op, Expr a, Expr b) -> {
                    emit(a);
                    emit(b);
                    Emit.arith(mv, op);
                }
                default -> throw new UnsupportedOperationException("parameter default uses " + e);
            }
        }
    }

    private void emitSlices(ClassWriter cw) {
        MethodVisitor mv = cw.visitMethod(ACC_PUBLIC, "slices", "([I)I", null, null);
        mv.visitCode();
        Emit.iconst(mv, 1);
        if (plan.sliced) {
            for (String b : plan.batch) {
                mv.visitVarInsn(ALOAD, 1);
                Emit.iconst(mv, plan.extent.get(b));
                mv.visitInsn(IALOAD);
                mv.visitInsn(IMUL);
            }
        }
        mv.visitInsn(IRETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    /**
     * {@code slice(Launch l, int s)}: decodes the batch point, allocates slice-local
     * intermediates and presence flags, runs the statements, and zeroes absent output entries.
     */
    private void emitSlice(ClassWriter cw) {
        MethodVisitor mv = cw.visitMethod(ACC_PUBLIC, "slice", "(L" + LAUNCH + ";I)V", null, null);
        mv.visitCode();
        final int launch = 1, s = 2, T = 3, P = 4, X = 5, prm = 6, B = 7, step = 8, rem = 9, tmp = 10;
        int n = all.size();
        Emit.iconst(mv, n);
        mv.visitTypeInsn(ANEWARRAY, "[F");
        mv.visitVarInsn(ASTORE, T);
        Emit.iconst(mv, n);
        mv.visitTypeInsn(ANEWARRAY, "[Z");
        mv.visitVarInsn(ASTORE, P);
        mv.visitVarInsn(ALOAD, launch);
        mv.visitFieldInsn(GETFIELD, LAUNCH, "extents", "[I");
        mv.visitVarInsn(ASTORE, X);
        mv.visitVarInsn(ALOAD, launch);
        mv.visitFieldInsn(GETFIELD, LAUNCH, "params", "[F");
        mv.visitVarInsn(ASTORE, prm);
        // Batch values, last rank fastest, then the flat slice number.
        int nb = plan.sliced ? plan.batch.size() : 0;
        Emit.iconst(mv, nb + 1 + plan.extent.size());
        mv.visitIntInsn(NEWARRAY, T_INT);
        mv.visitVarInsn(ASTORE, B);
        mv.visitVarInsn(ALOAD, B);
        Emit.iconst(mv, nb);
        mv.visitVarInsn(ILOAD, s);
        mv.visitInsn(IASTORE);
        mv.visitVarInsn(ILOAD, s);
        mv.visitVarInsn(ISTORE, rem);
        for (int k = nb - 1; k >= 0; k--) {
            mv.visitVarInsn(ALOAD, B);
            Emit.iconst(mv, k);
            mv.visitVarInsn(ILOAD, rem);
            loadExtent(mv, X, plan.batch.get(k));
            mv.visitInsn(IREM);
            mv.visitInsn(IASTORE);
            mv.visitVarInsn(ILOAD, rem);
            loadExtent(mv, X, plan.batch.get(k));
            mv.visitInsn(IDIV);
            mv.visitVarInsn(ISTORE, rem);
        }
        for (TensorDecl t : c.tensors()) {
            int k = all.get(t.name());
            if (plan.slot.containsKey(t.name())) {
                mv.visitVarInsn(ALOAD, T);
                Emit.iconst(mv, k);
                mv.visitVarInsn(ALOAD, launch);
                mv.visitFieldInsn(GETFIELD, LAUNCH, "tensors", "[[F");
                Emit.iconst(mv, plan.slot.get(t.name()));
                mv.visitInsn(AALOAD);
                mv.visitInsn(AASTORE);
            } else {
                mv.visitVarInsn(ALOAD, T);
                Emit.iconst(mv, k);
                localSize(mv, X, t);
                mv.visitIntInsn(NEWARRAY, T_FLOAT);
                mv.visitInsn(AASTORE);
            }
            if (plan.tracked.contains(t.name())) {
                mv.visitVarInsn(ALOAD, P);
                Emit.iconst(mv, k);
                localSize(mv, X, t);
                mv.visitIntInsn(NEWARRAY, T_BOOLEAN);
                mv.visitInsn(AASTORE);
            }
        }
        int nextLocal = tmp + 1;
        int frame = -1, id = 0;
        for (Schedule.Nest nest : plan.schedule.nests()) {
            int nestId = id++;
            if (!plan.split(nest)) {
                nextLocal = emitNest(mv, nest, T, P, X, prm, B, step, nextLocal, -1, -1);
                continue;
            }
            // Chunks of the first outer rank run on the launch's pool, each through chunk(...).
            if (frame < 0) {
                frame = nextLocal++;
                int[] parts = {T, P, X, prm, B};
                Emit.iconst(mv, parts.length);
                mv.visitTypeInsn(ANEWARRAY, "java/lang/Object");
                for (int k = 0; k < parts.length; k++) {
                    mv.visitInsn(DUP);
                    Emit.iconst(mv, k);
                    mv.visitVarInsn(ALOAD, parts[k]);
                    mv.visitInsn(AASTORE);
                }
                mv.visitVarInsn(ASTORE, frame);
            }
            mv.visitVarInsn(ALOAD, launch);
            mv.visitVarInsn(ALOAD, 0);
            Emit.iconst(mv, nestId);
            mv.visitVarInsn(ALOAD, frame);
            loadExtent(mv, X, nest.outer().getFirst());
            mv.visitMethodInsn(INVOKESTATIC, CHUNKS, "run", "(L" + LAUNCH + ";L" + COMPILED + ";I[Ljava/lang/Object;I)V", false);
        }
        // Absent output entries read as 0.
        for (TensorDecl t : c.outputs()) {
            if (!plan.tracked.contains(t.name())) continue;
            int k = all.get(t.name());
            Label top = new Label(), end = new Label(), keep = new Label();
            localSize(mv, X, t);
            mv.visitVarInsn(ISTORE, rem); // slice size
            Emit.iconst(mv, 0);
            mv.visitVarInsn(ISTORE, tmp);
            mv.visitLabel(top);
            mv.visitVarInsn(ILOAD, tmp);
            mv.visitVarInsn(ILOAD, rem);
            mv.visitJumpInsn(IF_ICMPGE, end);
            mv.visitVarInsn(ALOAD, P);
            Emit.iconst(mv, k);
            mv.visitInsn(AALOAD);
            mv.visitVarInsn(ILOAD, tmp);
            mv.visitInsn(BALOAD);
            mv.visitJumpInsn(IFNE, keep);
            mv.visitVarInsn(ALOAD, T);
            Emit.iconst(mv, k);
            mv.visitInsn(AALOAD);
            mv.visitVarInsn(ILOAD, tmp);
            if (plan.sliced) {
                mv.visitVarInsn(ILOAD, s);
                mv.visitVarInsn(ILOAD, rem);
                mv.visitInsn(IMUL);
                mv.visitInsn(IADD);
            }
            Emit.fconst(mv, 0f);
            mv.visitInsn(FASTORE);
            mv.visitLabel(keep);
            mv.visitIincInsn(tmp, 1);
            mv.visitJumpInsn(GOTO, top);
            mv.visitLabel(end);
        }
        mv.visitInsn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    /**
     * Emits nest {@code nest}: loops over its outer ranks (the first from local {@code lo} to
     * local {@code hi} when both are given, else over its whole extent) around its statements.
     * Returns the next free local.
     */
    private int emitNest(MethodVisitor mv, Schedule.Nest nest, int T, int P, int X, int prm, int B, int step, int nextLocal, int lo, int hi) {
        List<Integer> loopVars = new ArrayList<>();
        // Loops over the nest's outer ranks; each value goes to the point array for the statements.
        List<Label[]> loops = new ArrayList<>();
        for (String o : nest.outer()) {
            int v = nextLocal++;
            Label top = new Label(), end = new Label();
            boolean chunked = lo >= 0 && loops.isEmpty();
            if (chunked) mv.visitVarInsn(ILOAD, lo);
            else Emit.iconst(mv, 0);
            mv.visitVarInsn(ISTORE, v);
            mv.visitLabel(top);
            mv.visitVarInsn(ILOAD, v);
            if (chunked) mv.visitVarInsn(ILOAD, hi);
            else loadExtent(mv, X, o);
            mv.visitJumpInsn(IF_ICMPGE, end);
            mv.visitVarInsn(ALOAD, B);
            Emit.iconst(mv, plan.pointSlot(o));
            mv.visitVarInsn(ILOAD, v);
            mv.visitInsn(IASTORE);
            loops.add(new Label[] {top, end});
            loopVars.add(v);
        }
        if (!nest.outer().isEmpty()) {
            // A local's entries of the last outer point are not this point's: forget their presence.
            for (Schedule.Placed p : nest.statements()) {
                String t = c.statements().get(p.statement()).tensor();
                if (!plan.schedule.local().containsKey(t) || !plan.tracked.contains(t)) continue;
                mv.visitVarInsn(ALOAD, P);
                Emit.iconst(mv, all.get(t));
                mv.visitInsn(AALOAD);
                Emit.iconst(mv, 0);
                mv.visitMethodInsn(INVOKESTATIC, "java/util/Arrays", "fill", "([ZZ)V", false);
            }
        }
        List<Schedule.Placed> body = nest.statements();
        int i = 0;
        while (i < body.size()) {
            String r = body.get(i).recurrence();
            if (r == null) {
                callStatement(mv, body.get(i).statement(), T, P, X, prm, B, -1, 0);
                i++;
                continue;
            }
            int j = i;
            while (j < body.size() && r.equals(body.get(j).recurrence())) j++;
            Label top = new Label(), end = new Label();
            Emit.iconst(mv, 0);
            mv.visitVarInsn(ISTORE, step);
            mv.visitLabel(top);
            mv.visitVarInsn(ILOAD, step);
            loadExtent(mv, X, r);
            mv.visitJumpInsn(IF_ICMPGE, end);
            for (int k = i; k < j; k++) callStatement(mv, body.get(k).statement(), T, P, X, prm, B, step, 1);
            mv.visitIincInsn(step, 1);
            mv.visitJumpInsn(GOTO, top);
            mv.visitLabel(end);
            i = j;
        }
        for (int k = loops.size() - 1; k >= 0; k--) {
            int v = loopVars.remove(loopVars.size() - 1);
            mv.visitIincInsn(v, 1);
            mv.visitJumpInsn(GOTO, loops.get(k)[0]);
            mv.visitLabel(loops.get(k)[1]);
        }
        return nextLocal;
    }

    /**
     * {@code n<id>(T, P, X, prm, B, lo, hi)}: a chunk of split nest {@code id} on its own copies of
     * the slice's tensor, presence and point arrays, with fresh scratch for the nest's locals.
     */
    private void emitNestMethod(ClassWriter cw, Schedule.Nest nest, int id) {
        MethodVisitor mv = cw.visitMethod(ACC_PRIVATE | ACC_STATIC, "n" + id, NEST_DESC, null, null);
        mv.visitCode();
        final int T = 0, P = 1, X = 2, prm = 3, B = 4, lo = 5, hi = 6, step = 7;
        for (int[] a : new int[][] {{T, 0}, {P, 1}, {B, 2}}) {
            String type = a[1] == 0 ? "[[F" : a[1] == 1 ? "[[Z" : "[I";
            mv.visitVarInsn(ALOAD, a[0]);
            mv.visitMethodInsn(INVOKEVIRTUAL, type, "clone", "()Ljava/lang/Object;", false);
            mv.visitTypeInsn(CHECKCAST, type);
            mv.visitVarInsn(ASTORE, a[0]);
        }
        java.util.Set<String> mine = new java.util.LinkedHashSet<>();
        for (Schedule.Placed p : nest.statements()) {
            String t = c.statements().get(p.statement()).tensor();
            if (plan.schedule.local().containsKey(t) && !plan.slot.containsKey(t)) mine.add(t);
        }
        for (String name : mine) {
            TensorDecl t = c.tensorOrThrow(name);
            mv.visitVarInsn(ALOAD, T);
            Emit.iconst(mv, all.get(name));
            localSize(mv, X, t);
            mv.visitIntInsn(NEWARRAY, T_FLOAT);
            mv.visitInsn(AASTORE);
            if (plan.tracked.contains(name)) {
                mv.visitVarInsn(ALOAD, P);
                Emit.iconst(mv, all.get(name));
                localSize(mv, X, t);
                mv.visitIntInsn(NEWARRAY, T_BOOLEAN);
                mv.visitInsn(AASTORE);
            }
        }
        emitNest(mv, nest, T, P, X, prm, B, step, step + 1, lo, hi);
        mv.visitInsn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    /** {@code chunk(nest, frame, lo, hi)}: unpacks the slice's arrays and runs the split nest's chunk. */
    private void emitChunk(ClassWriter cw) {
        MethodVisitor mv = cw.visitMethod(ACC_PUBLIC, "chunk", "(I[Ljava/lang/Object;II)V", null, null);
        mv.visitCode();
        List<Schedule.Nest> nests = plan.schedule.nests();
        String[] types = {"[[F", "[[Z", "[I", "[F", "[I"};
        for (int id = 0; id < nests.size(); id++) {
            if (!plan.split(nests.get(id))) continue;
            Label next = new Label();
            mv.visitVarInsn(ILOAD, 1);
            Emit.iconst(mv, id);
            mv.visitJumpInsn(IF_ICMPNE, next);
            for (int k = 0; k < types.length; k++) {
                mv.visitVarInsn(ALOAD, 2);
                Emit.iconst(mv, k);
                mv.visitInsn(AALOAD);
                mv.visitTypeInsn(CHECKCAST, types[k]);
            }
            mv.visitVarInsn(ILOAD, 3);
            mv.visitVarInsn(ILOAD, 4);
            mv.visitMethodInsn(INVOKESTATIC, className, "n" + id, NEST_DESC, false);
            mv.visitInsn(RETURN);
            mv.visitLabel(next);
        }
        mv.visitTypeInsn(NEW, "java/lang/IllegalArgumentException");
        mv.visitInsn(DUP);
        mv.visitLdcInsn("no split loop nest with this number");
        mv.visitMethodInsn(INVOKESPECIAL, "java/lang/IllegalArgumentException", "<init>", "(Ljava/lang/String;)V", false);
        mv.visitInsn(ATHROW);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    private void callStatement(MethodVisitor mv, int i, int T, int P, int X, int prm, int B, int stepLocal, int unused) {
        mv.visitVarInsn(ALOAD, T);
        mv.visitVarInsn(ALOAD, P);
        mv.visitVarInsn(ALOAD, X);
        mv.visitVarInsn(ALOAD, prm);
        mv.visitVarInsn(ALOAD, B);
        if (stepLocal < 0) Emit.iconst(mv, -1);
        else mv.visitVarInsn(ILOAD, stepLocal);
        mv.visitMethodInsn(INVOKESTATIC, className, "s" + i, STATEMENT_DESC, false);
    }

    private void loadExtent(MethodVisitor mv, int X, String index) {
        mv.visitVarInsn(ALOAD, X);
        Emit.iconst(mv, plan.extent.get(index));
        mv.visitInsn(IALOAD);
    }

    /** Pushes the number of elements of {@code t}'s slice-local layout (or whole layout). */
    private void localSize(MethodVisitor mv, int X, TensorDecl t) {
        Emit.iconst(mv, 1);
        for (int k = 0; k < t.arity(); k++) {
            if (plan.dropped(t.name(), k)) continue;
            loadExtent(mv, X, t.ranks().get(k).index());
            if (t.ranks().get(k).iterative()) {
                Emit.iconst(mv, 1);
                mv.visitInsn(IADD);
            }
            mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "multiplyExact", "(II)I", false);
        }
    }

    private String recurrenceIndex(Einsum s) {
        return Schedule.recurrence(c, s);
    }

    /** Emits one statement's method {@code s<i>(T, P, X, prm, B, step)}. */
    private final class StatementEmitter {
        private static final int T = 0, P = 1, X = 2, PRM = 3, B = 4, STEP = 5;
        private final Einsum s;
        private final int number;
        private MethodVisitor mv;
        private int next = 6;
        private final Map<String, Integer> ext = new LinkedHashMap<>();
        private final Map<String, Integer> value = new LinkedHashMap<>();
        private final Map<String, TensorLocals> tensors = new LinkedHashMap<>();
        private int missing, absent;

        /** Locals of one accessed tensor: data, presence, per-rank extents and strides, output base. */
        private record TensorLocals(TensorDecl decl, int data, int presence, int[] dim, int[] stride, int base, boolean[] dropped) {}

        /** The ranks the nest loops outside this statement: fixed for one call. */
        private final List<String> outer;

        StatementEmitter(Einsum s, int number) {
            this.s = s;
            this.number = number;
            this.outer = plan.schedule.nestOf(number).outer();
        }

        private int local() {
            return next++;
        }

        void emit(ClassWriter cw) {
            mv = cw.visitMethod(ACC_STATIC | ACC_PRIVATE, "s" + number, STATEMENT_DESC, null, null);
            mv.visitCode();
            prologue();
            List<String> space = c.iterationSpace(s);
            List<String> reduced = s.reducedIndices();
            List<String> free = new ArrayList<>(space);
            free.removeAll(reduced);
            String rec = recurrenceIndex(s);
            if (emitRowKernel(free, reduced, rec) || emitVectorRows(free, rec)) {
                mv.visitInsn(RETURN);
                mv.visitMaxs(0, 0);
                mv.visitEnd();
                return;
            }
            boolean whereIsBounds = placeBounds(free, reduced, rec);
            int acc = local(), exists = local(), present = local(), v = local();
            // Free loops.
            List<Label[]> freeLoops = new ArrayList<>();
            for (String ix : free) freeLoops.add(open(ix, rec));
            ReduceOp op = s.reduceOp();
            Emit.fconst(mv, op == null ? 0f : (float) op.identity());
            mv.visitVarInsn(FSTORE, acc);
            Emit.iconst(mv, 0);
            mv.visitVarInsn(ISTORE, exists);
            Emit.iconst(mv, 0);
            mv.visitVarInsn(ISTORE, present);
            List<Label[]> redLoops = new ArrayList<>();
            for (String ix : reduced) redLoops.add(open(ix, rec));
            // One point.
            Label skip = new Label();
            Emit.iconst(mv, 0);
            mv.visitVarInsn(ISTORE, missing);
            Emit.iconst(mv, 0);
            mv.visitVarInsn(ISTORE, absent);
            if (s.where() != null && !whereIsBounds) {
                emitValue(s.where());
                mv.visitVarInsn(FSTORE, v);
                mv.visitVarInsn(ILOAD, missing);
                mv.visitVarInsn(ILOAD, absent);
                mv.visitInsn(IOR);
                mv.visitJumpInsn(IFNE, skip);
                mv.visitVarInsn(FLOAD, v);
                Emit.fconst(mv, 0f);
                mv.visitInsn(FCMPL);
                mv.visitJumpInsn(IFEQ, skip);
            }
            emitValue(s.body());
            mv.visitVarInsn(FSTORE, v);
            mv.visitVarInsn(ILOAD, missing);
            mv.visitJumpInsn(IFNE, skip);
            Emit.iconst(mv, 1);
            mv.visitVarInsn(ISTORE, exists);
            mv.visitVarInsn(ILOAD, absent);
            mv.visitJumpInsn(IFNE, skip);
            if (op == null) {
                mv.visitVarInsn(FLOAD, v);
            } else {
                mv.visitVarInsn(FLOAD, acc);
                mv.visitVarInsn(FLOAD, v);
                Emit.combine(mv, op);
            }
            mv.visitVarInsn(FSTORE, acc);
            Emit.iconst(mv, 1);
            mv.visitVarInsn(ISTORE, present);
            mv.visitLabel(skip);
            for (int k = redLoops.size() - 1; k >= 0; k--) close(reduced.get(k), redLoops.get(k), rec);
            // Write the target entry.
            Label noWrite = new Label();
            mv.visitVarInsn(ILOAD, exists);
            mv.visitJumpInsn(IFEQ, noWrite);
            TensorLocals t = tensors.get(s.tensor());
            int off = local();
            List<IndexExpr> pos = new ArrayList<>(s.target().indices());
            if (s.init())
                for (int k = 0; k < pos.size(); k++) if (t.decl().ranks().get(k).iterative()) pos.set(k, new IndexExpr.Lit(0));
            localOffset(t, pos, noWrite, true);
            mv.visitVarInsn(ISTORE, off);
            Label absentEntry = new Label(), written = new Label();
            if (op == null) {
                mv.visitVarInsn(ILOAD, present);
                mv.visitJumpInsn(IFEQ, absentEntry);
            }
            mv.visitVarInsn(ALOAD, t.data());
            dataIndex(t, off);
            mv.visitVarInsn(FLOAD, acc);
            mv.visitInsn(FASTORE);
            if (t.presence() >= 0) {
                mv.visitVarInsn(ALOAD, t.presence());
                mv.visitVarInsn(ILOAD, off);
                Emit.iconst(mv, 1);
                mv.visitInsn(BASTORE);
            }
            mv.visitJumpInsn(GOTO, written);
            mv.visitLabel(absentEntry);
            if (t.presence() >= 0) {
                mv.visitVarInsn(ALOAD, t.presence());
                mv.visitVarInsn(ILOAD, off);
                Emit.iconst(mv, 0);
                mv.visitInsn(BASTORE);
            }
            mv.visitLabel(written);
            mv.visitLabel(noWrite);
            for (int k = freeLoops.size() - 1; k >= 0; k--) close(free.get(k), freeLoops.get(k), rec);
            mv.visitInsn(RETURN);
            mv.visitMaxs(0, 0);
            mv.visitEnd();
        }

        /** The body as a product over rank {@code r}: factors and divisors free of r, and rows contiguous in r. */
        private record Rows(List<Expr> factors, List<Expr> divisors, List<Expr.Access> rows) {}

        private Rows rows(Expr e, String r) {
            if (!einc.ir.Exprs.indices(e).contains(r)) return new Rows(List.of(e), List.of(), List.of());
            return switch (e) {
                case Expr.Binary(Expr.Op op, Expr a, Expr b) when op == Expr.Op.MUL -> {
                    Rows x = rows(a, r), y = rows(b, r);
                    yield x == null || y == null ? null : new Rows(concat(x.factors(), y.factors()),
                            concat(x.divisors(), y.divisors()), concat(x.rows(), y.rows()));
                }
                case Expr.Binary(Expr.Op op, Expr a, Expr b) when op == Expr.Op.DIV && !einc.ir.Exprs.indices(b).contains(r) -> {
                    Rows x = rows(a, r);
                    yield x == null ? null : new Rows(x.factors(), concat(x.divisors(), List.of(b)), x.rows());
                }
                case Expr.Access a when contiguous(a.tensor(), a.indices(), r) -> new Rows(List.of(), List.of(), List.of(a));
                default -> null;
            };
        }

        private static <T> List<T> concat(List<T> a, List<T> b) {
            List<T> out = new ArrayList<>(a);
            out.addAll(b);
            return out;
        }

        /** Whether {@code r} walks {@code tensor}'s storage with stride 1 at {@code pos}: its last stored rank, and only there. */
        private boolean contiguous(String tensor, List<IndexExpr> pos, String r) {
            TensorDecl t = c.tensorOrThrow(tensor);
            int k = t.arity() - 1;
            while (k >= 0 && plan.dropped(tensor, k)) k--;
            if (k < 0 || !r.equals(pos.get(k).plainIndex())) return false;
            for (int j = 0; j < t.arity(); j++) {
                if (j == k) continue;
                java.util.Set<String> used = new java.util.LinkedHashSet<>();
                einc.ir.Exprs.collectIndices(pos.get(j), used);
                if (used.contains(r)) return false;
            }
            return true;
        }

        /** Whether every entry the statement reads and writes is present and inside its tensor: no flags, no checks. */
        private boolean dense() {
            if (s.where() != null || s.init() || plan.tracked.contains(s.tensor())) return false;
            TensorDecl t = c.tensorOrThrow(s.tensor());
            for (int k = 0; k < t.arity(); k++) if (!Presence.inRange(c, s.target().indices().get(k), t, k)) return false;
            List<Expr.Access> reads = new ArrayList<>();
            einc.ir.Exprs.forEach(s.body(), e -> { if (e instanceof Expr.Access a) reads.add(a); });
            for (Expr.Access a : reads) if (plan.tracked.contains(a.tensor()) || Presence.mayFallOutside(c, a)) return false;
            return true;
        }

        /**
         * Emits a dense sum or max whose innermost rank walks contiguous rows as row kernels: per
         * target entry a dot product, sum or max over the innermost reduced rank; else scaled adds
         * of one row into the target's last rank. Returns false (emitting nothing) when neither fits.
         */
        private boolean emitRowKernel(List<String> free, List<String> reduced, String rec) {
            ReduceOp op = s.reduceOp();
            if (op != ReduceOp.SUM && op != ReduceOp.MAX) return false;
            if (!dense()) return false;
            for (int i = reduced.size() - 1; i >= 0; i--) {
                String r = reduced.get(i);
                if (fixed(r, rec)) continue;
                Rows rows = rows(s.body(), r);
                if (rows == null || rows.rows().isEmpty() || rows.rows().size() > 2) continue;
                if (op == ReduceOp.MAX && (!rows.factors().isEmpty() || !rows.divisors().isEmpty() || rows.rows().size() != 1)) continue;
                emitReduceRows(free, reduced, r, rows, rec);
                return true;
            }
            if (op != ReduceOp.SUM) return false;
            String r = null;
            for (String ix : free) if (!fixed(ix, rec) && contiguous(s.tensor(), s.target().indices(), ix)) r = ix;
            if (r == null) return false;
            Rows rows = rows(s.body(), r);
            if (rows == null || rows.rows().size() != 1) return false;
            emitAddRows(free, reduced, r, rows, rec);
            return true;
        }

        /** {@code target = sum over the other reduced ranks of (factors / divisors) * dot/sum/max over r of the rows}. */
        private void emitReduceRows(List<String> free, List<String> reduced, String r, Rows rows, String rec) {
            ReduceOp op = s.reduceOp();
            int acc = local();
            List<Label[]> freeLoops = new ArrayList<>();
            for (String ix : free) freeLoops.add(open(ix, rec));
            Emit.fconst(mv, (float) op.identity());
            mv.visitVarInsn(FSTORE, acc);
            List<String> outerReduced = new ArrayList<>(reduced);
            outerReduced.remove(r);
            List<Label[]> redLoops = new ArrayList<>();
            for (String ix : outerReduced) redLoops.add(open(ix, rec));
            mv.visitVarInsn(FLOAD, acc);
            Emit.iconst(mv, 0);
            mv.visitVarInsn(ISTORE, value.get(r));
            for (Expr.Access a : rows.rows()) pushRow(a);
            mv.visitVarInsn(ILOAD, ext.get(r));
            if (op == ReduceOp.MAX) {
                mv.visitMethodInsn(INVOKESTATIC, className, "rowMax", "([FII)F", false);
                Emit.combine(mv, op);
            } else {
                if (rows.rows().size() == 2) mv.visitMethodInsn(INVOKESTATIC, className, "rowDot", "([FI[FII)F", false);
                else mv.visitMethodInsn(INVOKESTATIC, className, "rowSum", "([FII)F", false);
                if (pushInvariant(rows)) mv.visitInsn(FMUL);
                mv.visitInsn(FADD);
            }
            mv.visitVarInsn(FSTORE, acc);
            for (int k = redLoops.size() - 1; k >= 0; k--) close(outerReduced.get(k), redLoops.get(k), rec);
            TensorLocals t = tensors.get(s.tensor());
            int off = local();
            localOffset(t, s.target().indices(), new Label(), true);
            mv.visitVarInsn(ISTORE, off);
            mv.visitVarInsn(ALOAD, t.data());
            dataIndex(t, off);
            mv.visitVarInsn(FLOAD, acc);
            mv.visitInsn(FASTORE);
            for (int k = freeLoops.size() - 1; k >= 0; k--) close(free.get(k), freeLoops.get(k), rec);
        }

        /** {@code target[.., r] = 0}, then per point of the other ranks {@code target[.., r] += (factors / divisors) * row[.., r]}. */
        private void emitAddRows(List<String> free, List<String> reduced, String r, Rows rows, String rec) {
            List<String> outerFree = new ArrayList<>(free);
            outerFree.remove(r);
            List<Label[]> freeLoops = new ArrayList<>();
            for (String ix : outerFree) freeLoops.add(open(ix, rec));
            TensorLocals t = tensors.get(s.tensor());
            int off = local();
            Emit.iconst(mv, 0);
            mv.visitVarInsn(ISTORE, value.get(r));
            localOffset(t, s.target().indices(), new Label(), true);
            if (t.base() >= 0) {
                mv.visitVarInsn(ILOAD, t.base());
                mv.visitInsn(IADD);
            }
            mv.visitVarInsn(ISTORE, off);
            Emit.fconst(mv, 0f);
            mv.visitVarInsn(ALOAD, t.data());
            mv.visitVarInsn(ILOAD, off);
            mv.visitVarInsn(ILOAD, ext.get(r));
            mv.visitMethodInsn(INVOKESTATIC, className, "rowFill", "(F[FII)V", false);
            List<Label[]> redLoops = new ArrayList<>();
            for (String ix : reduced) redLoops.add(open(ix, rec));
            if (!pushInvariant(rows)) Emit.fconst(mv, 1f);
            Emit.iconst(mv, 0);
            mv.visitVarInsn(ISTORE, value.get(r));
            pushRow(rows.rows().getFirst());
            mv.visitVarInsn(ALOAD, t.data());
            mv.visitVarInsn(ILOAD, off);
            mv.visitVarInsn(ILOAD, ext.get(r));
            mv.visitMethodInsn(INVOKESTATIC, className, "rowAxpy", "(F[FI[FII)V", false);
            for (int k = redLoops.size() - 1; k >= 0; k--) close(reduced.get(k), redLoops.get(k), rec);
            for (int k = freeLoops.size() - 1; k >= 0; k--) close(outerFree.get(k), freeLoops.get(k), rec);
        }

        /**
         * Emits a dense element-wise statement whose target's last rank {@code r} walks contiguous
         * rows as a loop over r in vectors (when the module is present) and a scalar tail: every
         * access is a row contiguous in r or free of r, every operator has a lane-wise form.
         * Returns false (emitting nothing) when it does not fit.
         */
        private boolean emitVectorRows(List<String> free, String rec) {
            if (s.reduction() != null || !dense()) return false;
            String r = null;
            for (String ix : free) if (!fixed(ix, rec) && contiguous(s.tensor(), s.target().indices(), ix)) r = ix;
            if (r == null || !lanewise(s.body(), r)) return false;
            List<String> outerFree = new ArrayList<>(free);
            outerFree.remove(r);
            List<Label[]> freeLoops = new ArrayList<>();
            for (String ix : outerFree) freeLoops.add(open(ix, rec));
            Emit.iconst(mv, 0);
            mv.visitVarInsn(ISTORE, value.get(r));
            // Offsets at r = 0 of the target and of every row.
            TensorLocals t = tensors.get(s.tensor());
            int toff = local();
            localOffset(t, s.target().indices(), new Label(), true);
            if (t.base() >= 0) {
                mv.visitVarInsn(ILOAD, t.base());
                mv.visitInsn(IADD);
            }
            mv.visitVarInsn(ISTORE, toff);
            Map<Expr.Access, Integer> rowOff = new LinkedHashMap<>();
            String lane = r;
            einc.ir.Exprs.forEach(s.body(), e -> {
                if (e instanceof Expr.Access a && einc.ir.Exprs.indices(a).contains(lane) && !rowOff.containsKey(a)) {
                    TensorLocals at = tensors.get(a.tensor());
                    int off = local();
                    localOffset(at, a.indices(), new Label(), true);
                    if (at.base() >= 0) {
                        mv.visitVarInsn(ILOAD, at.base());
                        mv.visitInsn(IADD);
                    }
                    mv.visitVarInsn(ISTORE, off);
                    rowOff.put(a, off);
                }
            });
            int i = local(), upper = local();
            Emit.iconst(mv, 0);
            mv.visitVarInsn(ISTORE, i);
            Label scalar = new Label(), vtop = new Label();
            mv.visitFieldInsn(GETSTATIC, className, "VEC", "Z");
            mv.visitJumpInsn(IFEQ, scalar);
            mv.visitVarInsn(ILOAD, ext.get(r));
            mv.visitFieldInsn(GETSTATIC, className, "SPECIES", SPECIES_DESC);
            mv.visitMethodInsn(INVOKEINTERFACE, VECTOR_SPECIES, "length", "()I", true);
            mv.visitInsn(ISUB);
            mv.visitVarInsn(ISTORE, upper);
            mv.visitLabel(vtop);
            mv.visitVarInsn(ILOAD, i);
            mv.visitVarInsn(ILOAD, upper);
            mv.visitJumpInsn(IF_ICMPGT, scalar);
            emitLanes(s.body(), r, rowOff, i);
            mv.visitVarInsn(ALOAD, t.data());
            mv.visitVarInsn(ILOAD, toff);
            mv.visitVarInsn(ILOAD, i);
            mv.visitInsn(IADD);
            mv.visitMethodInsn(INVOKEVIRTUAL, VectorCode.FV, "intoArray", "([FI)V", false);
            mv.visitVarInsn(ILOAD, i);
            mv.visitFieldInsn(GETSTATIC, className, "SPECIES", SPECIES_DESC);
            mv.visitMethodInsn(INVOKEINTERFACE, VECTOR_SPECIES, "length", "()I", true);
            mv.visitInsn(IADD);
            mv.visitVarInsn(ISTORE, i);
            mv.visitJumpInsn(GOTO, vtop);
            // The scalar tail (everything without the module), point by point.
            mv.visitLabel(scalar);
            Label stop = new Label(), send = new Label();
            mv.visitLabel(stop);
            mv.visitVarInsn(ILOAD, i);
            mv.visitVarInsn(ILOAD, ext.get(r));
            mv.visitJumpInsn(IF_ICMPGE, send);
            mv.visitVarInsn(ILOAD, i);
            mv.visitVarInsn(ISTORE, value.get(r));
            mv.visitVarInsn(ALOAD, t.data());
            mv.visitVarInsn(ILOAD, toff);
            mv.visitVarInsn(ILOAD, i);
            mv.visitInsn(IADD);
            emitValue(s.body());
            mv.visitInsn(FASTORE);
            mv.visitIincInsn(i, 1);
            mv.visitJumpInsn(GOTO, stop);
            mv.visitLabel(send);
            for (int k = freeLoops.size() - 1; k >= 0; k--) close(outerFree.get(k), freeLoops.get(k), rec);
            return true;
        }

        /** Whether {@code e} has a lane-wise form over {@code r}: rows contiguous in r, values free of r, lane-wise operators. */
        private boolean lanewise(Expr e, String r) {
            if (!einc.ir.Exprs.indices(e).contains(r)) return true;
            return switch (e) {
                case Expr.Access a -> contiguous(a.tensor(), a.indices(), r);
                case Expr.Unary(Expr.Fn fn, Expr x) -> (fn == Expr.Fn.RSQRT || VectorCode.unary(fn) != null) && lanewise(x, r);
                case Expr.Binary(Expr.Op op, Expr a, Expr b) -> VectorCode.binary(op) != null && lanewise(a, r) && lanewise(b, r);
                default -> false;
            };
        }

        /** Pushes the FloatVector of {@code e} at lanes {@code i ..}: rows loaded, values free of r broadcast. */
        private void emitLanes(Expr e, String r, Map<Expr.Access, Integer> rowOff, int i) {
            if (!einc.ir.Exprs.indices(e).contains(r)) {
                mv.visitFieldInsn(GETSTATIC, className, "SPECIES", SPECIES_DESC);
                emitValue(e);
                mv.visitMethodInsn(INVOKESTATIC, VectorCode.FV, "broadcast", "(" + SPECIES_DESC + "F)" + VectorCode.FV_DESC, false);
                return;
            }
            switch (e) {
                case Expr.Access a -> {
                    TensorLocals t = tensors.get(a.tensor());
                    mv.visitFieldInsn(GETSTATIC, className, "SPECIES", SPECIES_DESC);
                    mv.visitVarInsn(ALOAD, t.data());
                    mv.visitVarInsn(ILOAD, rowOff.get(a));
                    mv.visitVarInsn(ILOAD, i);
                    mv.visitInsn(IADD);
                    mv.visitMethodInsn(INVOKESTATIC, VectorCode.FV, "fromArray", "(" + SPECIES_DESC + "[FI)" + VectorCode.FV_DESC, false);
                }
                case Expr.Unary(Expr.Fn fn, Expr x) when fn == Expr.Fn.RSQRT -> {
                    // 1 / sqrt(x)
                    mv.visitFieldInsn(GETSTATIC, className, "SPECIES", SPECIES_DESC);
                    Emit.fconst(mv, 1f);
                    mv.visitMethodInsn(INVOKESTATIC, VectorCode.FV, "broadcast", "(" + SPECIES_DESC + "F)" + VectorCode.FV_DESC, false);
                    mv.visitFieldInsn(GETSTATIC, VectorCode.OPS, "DIV", "L" + VectorCode.OPS + "$Binary;");
                    emitLanes(x, r, rowOff, i);
                    mv.visitFieldInsn(GETSTATIC, VectorCode.OPS, "SQRT", "L" + VectorCode.OPS + "$Unary;");
                    mv.visitMethodInsn(INVOKEVIRTUAL, VectorCode.FV, "lanewise", "(L" + VectorCode.OPS + "$Unary;)" + VectorCode.FV_DESC, false);
                    mv.visitTypeInsn(CHECKCAST, VECTOR);
                    mv.visitMethodInsn(INVOKEVIRTUAL, VectorCode.FV, "lanewise",
                            "(L" + VectorCode.OPS + "$Binary;L" + VECTOR + ";)" + VectorCode.FV_DESC, false);
                }
                case Expr.Unary(Expr.Fn fn, Expr x) -> {
                    emitLanes(x, r, rowOff, i);
                    mv.visitFieldInsn(GETSTATIC, VectorCode.OPS, VectorCode.unary(fn), "L" + VectorCode.OPS + "$Unary;");
                    mv.visitMethodInsn(INVOKEVIRTUAL, VectorCode.FV, "lanewise", "(L" + VectorCode.OPS + "$Unary;)" + VectorCode.FV_DESC, false);
                }
                case Expr.Binary(Expr.Op op, Expr a, Expr b) -> {
                    emitLanes(a, r, rowOff, i);
                    String kind = switch (op) {
                        case ADD, MUL, MIN, MAX -> "$Associative;";
                        default -> "$Binary;";
                    };
                    mv.visitFieldInsn(GETSTATIC, VectorCode.OPS, VectorCode.binary(op), "L" + VectorCode.OPS + kind);
                    // The exact parameter type: the verifier would load the module to compare two names.
                    if (!kind.equals("$Binary;")) mv.visitTypeInsn(CHECKCAST, VectorCode.OPS + "$Binary");
                    emitLanes(b, r, rowOff, i);
                    mv.visitTypeInsn(CHECKCAST, VECTOR);
                    mv.visitMethodInsn(INVOKEVIRTUAL, VectorCode.FV, "lanewise",
                            "(L" + VectorCode.OPS + "$Binary;L" + VECTOR + ";)" + VectorCode.FV_DESC, false);
                }
                default -> throw new IllegalStateException("no lane-wise form: " + e);
            }
        }

        /** Pushes a row's array and the data index of its entry at the current point. */
        private void pushRow(Expr.Access a) {
            TensorLocals t = tensors.get(a.tensor());
            int off = local();
            localOffset(t, a.indices(), new Label(), true);
            mv.visitVarInsn(ISTORE, off);
            mv.visitVarInsn(ALOAD, t.data());
            dataIndex(t, off);
        }

        /** Pushes the product of the factors over the divisors; false (nothing pushed) when there are none. */
        private boolean pushInvariant(Rows rows) {
            boolean any = false;
            for (Expr f : rows.factors()) {
                emitValue(f);
                if (any) mv.visitInsn(FMUL);
                any = true;
            }
            for (Expr d : rows.divisors()) {
                if (!any) Emit.fconst(mv, 1f);
                emitValue(d);
                mv.visitInsn(FDIV);
                any = true;
            }
            return any;
        }

        /** Whether {@code ix} is fixed for this call (a batch rank of a slice, the recurrence step, or an outer rank of the nest). */
        private boolean fixed(String ix, String rec) {
            return ix.equals(rec) || (plan.sliced && plan.batch.contains(ix)) || outer.contains(ix);
        }

        /** Loop bounds from the statement's affine where-conditions, by index (empty: the loops run over whole extents). */
        private final Map<String, List<MaskToBounds.Bound>> loopBounds = new LinkedHashMap<>();

        /**
         * Places each bound of the statement's condition on its index's loop when the loops opened
         * before it (in the order free, then reduced) fix every index the bound reads; returns
         * whether the bounds are the whole condition, so that no point needs testing.
         */
        private boolean placeBounds(List<String> free, List<String> reduced, String rec) {
            MaskToBounds.StatementBounds sb = plan.bounds.get(number);
            if (sb == null) return false;
            java.util.Set<String> known = new java.util.LinkedHashSet<>();
            for (String ix : c.iterationSpace(s)) if (fixed(ix, rec)) known.add(ix);
            List<String> order = new ArrayList<>(free);
            order.addAll(reduced);
            // A conjunct (m <= p) gives a bound on each of its indices (m <= p, p >= m): one placed enforces it.
            java.util.Set<Expr> enforced = new java.util.LinkedHashSet<>();
            for (String ix : order) {
                if (fixed(ix, rec)) continue;
                for (MaskToBounds.Bound b : sb.bounds()) {
                    if (!b.index().equals(ix) || b.op() == Expr.Op.NE || !known.containsAll(einc.ir.Exprs.indices(b.bound()))) continue;
                    loopBounds.computeIfAbsent(ix, k -> new ArrayList<>()).add(b);
                    enforced.add(b.because());
                }
                known.add(ix);
            }
            return sb.exact() && sb.bounds().stream().allMatch(b -> enforced.contains(b.because()));
        }

        /** Opens {@code for (ix = lo; ix < hi; ix++)} unless {@code ix} is fixed (lo, hi: 0 and X, narrowed by bounds); returns its labels. */
        private Label[] open(String ix, String rec) {
            if (fixed(ix, rec)) return null;
            Label top = new Label(), end = new Label();
            List<MaskToBounds.Bound> bs = loopBounds.getOrDefault(ix, List.of());
            int limit = ext.get(ix);
            Emit.iconst(mv, 0);
            for (MaskToBounds.Bound b : bs) {
                if (b.op() == Expr.Op.LE || b.op() == Expr.Op.LT) continue;
                // ix >= ceil(v); ix > v: ix >= floor(v) + 1
                bound(b.bound(), b.op() == Expr.Op.GT ? "floor" : "ceil", b.op() == Expr.Op.GT ? 1 : 0);
                mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "max", "(II)I", false);
            }
            mv.visitVarInsn(ISTORE, value.get(ix));
            if (bs.stream().anyMatch(b -> b.op() == Expr.Op.LE || b.op() == Expr.Op.LT || b.op() == Expr.Op.EQ)) {
                limit = local();
                mv.visitVarInsn(ILOAD, ext.get(ix));
                for (MaskToBounds.Bound b : bs) {
                    if (b.op() == Expr.Op.GE || b.op() == Expr.Op.GT) continue;
                    // ix <= v: ix < floor(v) + 1; ix < v: ix < ceil(v)
                    bound(b.bound(), b.op() == Expr.Op.LT ? "ceil" : "floor", b.op() == Expr.Op.LT ? 0 : 1);
                    mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "min", "(II)I", false);
                }
                mv.visitVarInsn(ISTORE, limit);
            }
            mv.visitLabel(top);
            mv.visitVarInsn(ILOAD, value.get(ix));
            mv.visitVarInsn(ILOAD, limit);
            mv.visitJumpInsn(IF_ICMPGE, end);
            return new Label[] {top, end};
        }

        /** Pushes {@code floor(v) + add} or {@code ceil(v) + add} as an int, v the f32 value of {@code e}. */
        private void bound(Expr e, String round, int add) {
            emitValue(e);
            mv.visitInsn(F2D);
            mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", round, "(D)D", false);
            mv.visitInsn(D2I);
            if (add != 0) {
                Emit.iconst(mv, add);
                mv.visitInsn(IADD);
            }
        }

        private void close(String ix, Label[] loop, String rec) {
            if (loop == null) return;
            mv.visitIincInsn(value.get(ix), 1);
            mv.visitJumpInsn(GOTO, loop[0]);
            mv.visitLabel(loop[1]);
        }

        private void prologue() {
            for (IndexDef d : c.indices()) {
                int l = local();
                mv.visitVarInsn(ALOAD, X);
                Emit.iconst(mv, plan.extent.get(d.name()));
                mv.visitInsn(IALOAD);
                mv.visitVarInsn(ISTORE, l);
                ext.put(d.name(), l);
            }
            String rec = recurrenceIndex(s);
            for (String ix : c.iterationSpace(s)) {
                int l = local();
                value.put(ix, l);
                if (ix.equals(rec)) {
                    mv.visitVarInsn(ILOAD, STEP);
                    mv.visitVarInsn(ISTORE, l);
                } else if (outer.contains(ix)) {
                    mv.visitVarInsn(ALOAD, B);
                    Emit.iconst(mv, plan.pointSlot(ix));
                    mv.visitInsn(IALOAD);
                    mv.visitVarInsn(ISTORE, l);
                } else if (plan.sliced && plan.batch.contains(ix)) {
                    mv.visitVarInsn(ALOAD, B);
                    Emit.iconst(mv, plan.batch.indexOf(ix));
                    mv.visitInsn(IALOAD);
                    mv.visitVarInsn(ISTORE, l);
                } else {
                    Emit.iconst(mv, 0);
                    mv.visitVarInsn(ISTORE, l);
                }
            }
            missing = local();
            absent = local();
            Emit.iconst(mv, 0);
            mv.visitVarInsn(ISTORE, missing);
            Emit.iconst(mv, 0);
            mv.visitVarInsn(ISTORE, absent);
            List<String> names = new ArrayList<>();
            names.add(s.tensor());
            einc.ir.Exprs.tensorsRead(s.body()).forEach(n -> { if (!names.contains(n)) names.add(n); });
            if (s.where() != null) einc.ir.Exprs.tensorsRead(s.where()).forEach(n -> { if (!names.contains(n)) names.add(n); });
            for (String name : names) tensors.put(name, tensorLocals(c.tensorOrThrow(name)));
        }

        private TensorLocals tensorLocals(TensorDecl t) {
            int k = all.get(t.name());
            int data = local();
            mv.visitVarInsn(ALOAD, T);
            Emit.iconst(mv, k);
            mv.visitInsn(AALOAD);
            mv.visitVarInsn(ASTORE, data);
            int presence = -1;
            if (plan.tracked.contains(t.name())) {
                presence = local();
                mv.visitVarInsn(ALOAD, P);
                Emit.iconst(mv, k);
                mv.visitInsn(AALOAD);
                mv.visitVarInsn(ASTORE, presence);
            }
            boolean[] dropped = new boolean[t.arity()];
            for (int r = 0; r < t.arity(); r++) dropped[r] = plan.dropped(t.name(), r);
            int[] dim = new int[t.arity()], stride = new int[t.arity()];
            for (int r = 0; r < t.arity(); r++) {
                dim[r] = local();
                mv.visitVarInsn(ILOAD, ext.get(t.ranks().get(r).index()));
                if (t.ranks().get(r).iterative()) {
                    Emit.iconst(mv, 1);
                    mv.visitInsn(IADD);
                }
                mv.visitVarInsn(ISTORE, dim[r]);
            }
            int inner = -1;
            for (int r = t.arity() - 1; r >= 0; r--) {
                if (dropped[r]) continue;
                stride[r] = local();
                if (inner < 0) Emit.iconst(mv, 1);
                else {
                    mv.visitVarInsn(ILOAD, stride[inner]);
                    mv.visitVarInsn(ILOAD, dim[inner]);
                    mv.visitInsn(IMUL);
                }
                mv.visitVarInsn(ISTORE, stride[r]);
                inner = r;
            }
            int base = -1;
            if (plan.sliced && plan.isOutput(t.name())) {
                // The slice's first element in the whole output: slice number times slice size.
                base = local();
                mv.visitVarInsn(ALOAD, B);
                Emit.iconst(mv, plan.batch.size());
                mv.visitInsn(IALOAD);
                if (inner >= 0) {
                    mv.visitVarInsn(ILOAD, stride[inner]);
                    mv.visitVarInsn(ILOAD, dim[inner]);
                    mv.visitInsn(IMUL);
                    mv.visitInsn(IMUL);
                }
                mv.visitVarInsn(ISTORE, base);
            }
            return new TensorLocals(t, data, presence, dim, stride, base, dropped);
        }

        /**
         * Pushes the slice-local offset of {@code t} at {@code pos}, jumping to {@code outside} with
         * an empty stack (beyond what was there) when a position falls outside its rank.
         */
        private void localOffset(TensorLocals t, List<IndexExpr> pos, Label outside, boolean emptyStack) {
            Label oor = new Label(), done = new Label();
            boolean anyCheck = false;
            int tmp = local();
            Emit.iconst(mv, 0);
            for (int r = 0; r < t.decl().arity(); r++) {
                if (t.dropped()[r]) continue;
                IndexExpr ix = pos.get(r);
                emitIndex(ix);
                if (!Presence.inRange(c, ix, t.decl(), r) || s.init()) {
                    anyCheck = true;
                    mv.visitVarInsn(ISTORE, tmp);
                    mv.visitVarInsn(ILOAD, tmp);
                    mv.visitJumpInsn(IFLT, oor);
                    mv.visitVarInsn(ILOAD, tmp);
                    mv.visitVarInsn(ILOAD, t.dim()[r]);
                    mv.visitJumpInsn(IF_ICMPGE, oor);
                    mv.visitVarInsn(ILOAD, tmp);
                }
                mv.visitVarInsn(ILOAD, t.stride()[r]);
                mv.visitInsn(IMUL);
                mv.visitInsn(IADD);
            }
            if (anyCheck) {
                mv.visitJumpInsn(GOTO, done);
                mv.visitLabel(oor);
                mv.visitInsn(POP);
                mv.visitJumpInsn(GOTO, outside);
                mv.visitLabel(done);
            }
        }

        /** Pushes the data index of slice-local offset {@code off}: plus the output's base when sliced. */
        private void dataIndex(TensorLocals t, int off) {
            mv.visitVarInsn(ILOAD, off);
            if (t.base() >= 0) {
                mv.visitVarInsn(ILOAD, t.base());
                mv.visitInsn(IADD);
            }
        }

        private void emitIndex(IndexExpr e) {
            switch (e) {
                case IndexExpr.Idx(String n) -> mv.visitVarInsn(ILOAD, value.get(n));
                case IndexExpr.Ext(String n) -> mv.visitVarInsn(ILOAD, ext.get(n));
                case IndexExpr.Lit(long v) -> Emit.iconst(mv, Math.toIntExact(v));
                case IndexExpr.INeg(IndexExpr a) -> {
                    emitIndex(a);
                    mv.visitInsn(INEG);
                }
                case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr a, IndexExpr b) -> {
                    emitIndex(a);
                    emitIndex(b);
                    switch (op) {
                        case ADD -> mv.visitInsn(IADD);
                        case SUB -> mv.visitInsn(ISUB);
                        case MUL -> mv.visitInsn(IMUL);
                        case DIV -> mv.visitMethodInsn(INVOKESTATIC, FNS, "floorDiv", "(II)I", false);
                        case MOD -> mv.visitMethodInsn(INVOKESTATIC, FNS, "floorMod", "(II)I", false);
                    }
                }
            }
        }

        /** Pushes the f32 value of {@code e}; conditions push 1 or 0. Sets the missing/absent flags as the interpreter does. */
        private void emitValue(Expr e) {
            switch (e) {
                case Expr.Const(double v) -> Emit.fconst(mv, (float) v);
                case Expr.ParamRef(String n) -> {
                    mv.visitVarInsn(ALOAD, PRM);
                    Emit.iconst(mv, plan.param.get(n));
                    mv.visitInsn(FALOAD);
                }
                case Expr.ExtentRef(String ix) -> {
                    mv.visitVarInsn(ILOAD, ext.get(ix));
                    mv.visitInsn(I2F);
                }
                case Expr.IndexValue(String ix) -> {
                    mv.visitVarInsn(ILOAD, value.get(ix));
                    mv.visitInsn(I2F);
                }
                case Expr.Access a -> emitAccess(a);
                case Expr.Unary(Expr.Fn fn, Expr x) -> {
                    emitValue(x);
                    Emit.unary(mv, fn);
                }
                case Expr.Binary(Expr.Op op, Expr a, Expr b) -> emitBinary(op, a, b);
                case Expr.Select(Expr cond, Expr a, Expr b) -> {
                    Label zero = new Label(), other = new Label(), end = new Label();
                    int tmp = local();
                    emitValue(cond);
                    mv.visitVarInsn(FSTORE, tmp);
                    flagged(zero);
                    mv.visitVarInsn(FLOAD, tmp);
                    Emit.fconst(mv, 0f);
                    mv.visitInsn(FCMPL);
                    mv.visitJumpInsn(IFEQ, other);
                    emitValue(a);
                    mv.visitJumpInsn(GOTO, end);
                    mv.visitLabel(other);
                    emitValue(b);
                    mv.visitJumpInsn(GOTO, end);
                    mv.visitLabel(zero);
                    Emit.fconst(mv, 0f);
                    mv.visitLabel(end);
                }
            }
        }

        /** Jumps to {@code target} when the missing or absent flag is set. */
        private void flagged(Label target) {
            mv.visitVarInsn(ILOAD, missing);
            mv.visitVarInsn(ILOAD, absent);
            mv.visitInsn(IOR);
            mv.visitJumpInsn(IFNE, target);
        }

        private void emitBinary(Expr.Op op, Expr a, Expr b) {
            if (op.isComparison()) {
                emitValue(a);
                emitValue(b);
                Label f = new Label(), end = new Label();
                switch (op) {
                    case LT -> { mv.visitInsn(FCMPG); mv.visitJumpInsn(IFGE, f); }
                    case LE -> { mv.visitInsn(FCMPG); mv.visitJumpInsn(IFGT, f); }
                    case GT -> { mv.visitInsn(FCMPL); mv.visitJumpInsn(IFLE, f); }
                    case GE -> { mv.visitInsn(FCMPL); mv.visitJumpInsn(IFLT, f); }
                    case EQ -> { mv.visitInsn(FCMPL); mv.visitJumpInsn(IFNE, f); }
                    case NE -> { mv.visitInsn(FCMPL); mv.visitJumpInsn(IFEQ, f); }
                    default -> throw new AssertionError(op);
                }
                Emit.fconst(mv, 1f);
                mv.visitJumpInsn(GOTO, end);
                mv.visitLabel(f);
                Emit.fconst(mv, 0f);
                mv.visitLabel(end);
                return;
            }
            if (op.isLogic()) {
                // a && b: a true and no flag -> b != 0; else 0.   a || b: a true and no flag -> 1; else b != 0.
                Label aFalse = new Label(), testB = new Label(), f = new Label(), end = new Label();
                emitValue(a);
                Emit.fconst(mv, 0f);
                mv.visitInsn(FCMPL);
                mv.visitJumpInsn(IFEQ, aFalse);
                flagged(aFalse);
                if (op == Expr.Op.AND) {
                    mv.visitJumpInsn(GOTO, testB);
                    mv.visitLabel(aFalse);
                    Emit.fconst(mv, 0f);
                    mv.visitJumpInsn(GOTO, end);
                } else {
                    Emit.fconst(mv, 1f);
                    mv.visitJumpInsn(GOTO, end);
                    mv.visitLabel(aFalse);
                    mv.visitJumpInsn(GOTO, testB);
                }
                mv.visitLabel(testB);
                emitValue(b);
                Emit.fconst(mv, 0f);
                mv.visitInsn(FCMPL);
                mv.visitJumpInsn(IFEQ, f);
                Emit.fconst(mv, 1f);
                mv.visitJumpInsn(GOTO, end);
                mv.visitLabel(f);
                Emit.fconst(mv, 0f);
                mv.visitLabel(end);
                return;
            }
            emitValue(a);
            emitValue(b);
            Emit.arith(mv, op);
        }

        private void emitAccess(Expr.Access a) {
            TensorLocals t = tensors.get(a.tensor());
            Label oor = new Label(), end = new Label(), abs = new Label();
            int off = local();
            localOffset(t, a.indices(), oor, false);
            mv.visitVarInsn(ISTORE, off);
            if (t.presence() >= 0) {
                mv.visitVarInsn(ALOAD, t.presence());
                mv.visitVarInsn(ILOAD, off);
                mv.visitInsn(BALOAD);
                mv.visitJumpInsn(IFEQ, abs);
            }
            mv.visitVarInsn(ALOAD, t.data());
            dataIndex(t, off);
            mv.visitInsn(FALOAD);
            mv.visitJumpInsn(GOTO, end);
            if (t.presence() >= 0) {
                mv.visitLabel(abs);
                Emit.iconst(mv, 1);
                mv.visitVarInsn(ISTORE, absent);
                Emit.fconst(mv, 0f);
                mv.visitJumpInsn(GOTO, end);
            }
            mv.visitLabel(oor);
            Emit.iconst(mv, 1);
            mv.visitVarInsn(ISTORE, missing);
            Emit.fconst(mv, 0f);
            mv.visitLabel(end);
        }
    }
}
