package einc.codegen.jvm;

import einc.ir.Cascade;
import einc.ir.Expr;
import einc.ir.IndexExpr;
import einc.ir.TensorDecl;
import einc.optimizer.attention.AttentionMatch;
import einc.optimizer.attention.Bounds;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Type;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Set;

import static org.objectweb.asm.Opcodes.*;

/**
 * Emits the fused attention class: {@link AttentionTemplate}'s loop nest, copied under a new name,
 * with its hook methods replaced by code generated from the recognized {@link AttentionMatch.Attention}.
 */
final class AttentionEmitter {

    private static final String TEMPLATE = Type.getInternalName(AttentionTemplate.class);
    private static final Set<String> HOOKS = Set.of("defaults", "batches", "queries", "geometry", "scale", "hasMod", "mod", "lo", "hi", "emptyIsNaN", "norm", "hasKeep", "keep");
    private static final String LAUNCH = GenericEmitter.LAUNCH;

    /**
     * A template method whose body is replaced by a copy of {@code of}'s code with parameter
     * {@code param} (its index) fixed at {@code value}.
     */
    private record Fixed(String name, String of, int param, int value) {}

    /**
     * Whether the specialized methods are emitted: the key tile {@code AttentionTemplate.BC} comes
     * from the Vector API, which a JVM without {@code jdk.incubator.vector} cannot load. There the
     * fused class never runs, and is emitted (for {@code --emit=bytecode}) with the template's own
     * bodies of these methods, which call the general ones.
     */
    private static final boolean SPECIALIZE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    /** The specialized methods; none where {@link #SPECIALIZE} is false. */
    private static List<Fixed> fixed() {
        if (!SPECIALIZE) return List.of();
        return List.of(
                new Fixed("scores64", "scores", 4, 64),
                new Fixed("scores128", "scores", 4, 128),
                new Fixed("accumulateFull", "accumulate", 8, AttentionTemplate.BC));
    }

    /** The names of {@link #fixed}'s methods, whose template bodies are not copied. */
    private static final Set<String> FIXED_NAMES = SPECIALIZE ? Set.of("scores64", "scores128", "accumulateFull") : Set.of();

    private final KernelPlan plan;
    private final Cascade c;
    private final AttentionMatch.Attention a;
    private final String name;

    AttentionEmitter(KernelPlan plan, AttentionMatch.Attention a, String name) {
        this.plan = plan;
        this.c = plan.cascade;
        this.a = a;
        this.name = name;
    }

    byte[] emit() {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS) {
            @Override
            protected String getCommonSuperClass(String t1, String t2) {
                if (t1.equals(name) || t2.equals(name)) return "java/lang/Object";
                return super.getCommonSuperClass(t1, t2);
            }
        };
        byte[] template = templateBytes();
        new ClassReader(template).accept(new Renamer(cw), ClassReader.SKIP_FRAMES | ClassReader.SKIP_DEBUG);
        for (Fixed f : fixed()) new ClassReader(template).accept(new Specializer(cw, f), ClassReader.SKIP_FRAMES | ClassReader.SKIP_DEBUG);
        cw.visitSource(c.name() + ".ein", null);
        GenericEmitter.emitDefaults(cw, plan);
        emitSlices(cw);
        emitGeometry(cw);
        emitScale(cw);
        emitConstant(cw, "hasMod", a.mod() != null);
        emitConstant(cw, "emptyIsNaN", a.emptyIsNaN());
        MethodVisitor norm = open(cw, ACC_STATIC, "norm", "()I");
        Emit.iconst(norm, a.norm().ordinal());
        norm.visitInsn(IRETURN);
        close(norm);
        emitMod(cw);
        emitBound(cw, "lo");
        emitBound(cw, "hi");
        emitConstant(cw, "hasKeep", !laneMasks().isEmpty());
        emitKeep(cw);
        cw.visitEnd();
        return cw.toByteArray();
    }

    private static byte[] templateBytes() {
        try (InputStream in = AttentionTemplate.class.getResourceAsStream("AttentionTemplate.class")) {
            if (in == null) throw new IllegalStateException("the attention template class is missing from the class path");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies the template under the new name, leaving out the hooks. */
    private final class Renamer extends ClassVisitor {
        Renamer(ClassVisitor next) {
            super(ASM9, next);
        }

        @Override
        public void visit(int version, int access, String n, String sig, String superName, String[] interfaces) {
            super.visit(version, access, name, sig, superName, interfaces);
        }

        @Override
        public void visitSource(String source, String debug) {}

        @Override
        public MethodVisitor visitMethod(int access, String n, String desc, String sig, String[] exceptions) {
            if (HOOKS.contains(n) || FIXED_NAMES.contains(n)) return null;
            return new Owners(super.visitMethod(access, n, desc, sig, exceptions));
        }
    }

    /** Rewrites references to the template class into references to the emitted one. */
    private class Owners extends MethodVisitor {
        Owners(MethodVisitor next) {
            super(ASM9, next);
        }

        @Override
        public void visitMethodInsn(int op, String owner, String mn, String md, boolean itf) {
            super.visitMethodInsn(op, rename(owner), mn, md, itf);
        }

        @Override
        public void visitFieldInsn(int op, String owner, String fn, String fd) {
            super.visitFieldInsn(op, rename(owner), fn, fd);
        }

        @Override
        public void visitTypeInsn(int op, String type) {
            super.visitTypeInsn(op, rename(type));
        }

        private String rename(String owner) {
            return owner.equals(TEMPLATE) ? name : owner;
        }
    }

    /** Emits {@code fixed.name()}: the template's method {@code fixed.of()} with one int parameter replaced by a constant. */
    private final class Specializer extends ClassVisitor {
        private final ClassVisitor out;
        private final Fixed fixed;

        Specializer(ClassVisitor out, Fixed fixed) {
            super(ASM9);
            this.out = out;
            this.fixed = fixed;
        }

        @Override
        public MethodVisitor visitMethod(int access, String n, String desc, String sig, String[] exceptions) {
            if (!n.equals(fixed.of())) return null;
            Type[] args = Type.getArgumentTypes(desc);
            if (args[fixed.param()] != Type.INT_TYPE) throw new IllegalStateException("parameter " + fixed.param() + " of " + n + " is not an int");
            int slot = (access & ACC_STATIC) != 0 ? 0 : 1;
            for (int i = 0; i < fixed.param(); i++) slot += args[i].getSize();
            int fixedSlot = slot;
            return new Owners(out.visitMethod(access, fixed.name(), desc, sig, exceptions)) {
                @Override
                public void visitVarInsn(int op, int var) {
                    if (var != fixedSlot) {
                        super.visitVarInsn(op, var);
                    } else if (op == ILOAD) {
                        Emit.iconst(mv, fixed.value());
                    } else {
                        throw new IllegalStateException(fixed.of() + " writes its parameter " + fixed.param() + ", which cannot be fixed");
                    }
                }

                @Override
                public void visitIincInsn(int var, int increment) {
                    if (var == fixedSlot) throw new IllegalStateException(fixed.of() + " writes its parameter " + fixed.param() + ", which cannot be fixed");
                    super.visitIincInsn(var, increment);
                }
            };
        }
    }

    private MethodVisitor open(ClassWriter cw, int access, String n, String desc) {
        MethodVisitor mv = cw.visitMethod(access, n, desc, null, null);
        mv.visitCode();
        return mv;
    }

    private static void close(MethodVisitor mv) {
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    private void emitConstant(ClassWriter cw, String n, boolean value) {
        MethodVisitor mv = open(cw, ACC_STATIC, n, "()Z");
        Emit.iconst(mv, value ? 1 : 0);
        mv.visitInsn(IRETURN);
        close(mv);
    }

    /** {@code batches(int[] extents)}: the product of the batch extents; {@code queries}: the extent of p. */
    private void emitSlices(ClassWriter cw) {
        MethodVisitor q = open(cw, ACC_STATIC, "queries", "([I)I");
        q.visitVarInsn(ALOAD, 0);
        Emit.iconst(q, plan.extent.get(a.p()));
        q.visitInsn(IALOAD);
        q.visitInsn(IRETURN);
        close(q);
        MethodVisitor mv = open(cw, ACC_STATIC, "batches", "([I)I");
        Emit.iconst(mv, 1);
        for (String b : plan.batch) {
            mv.visitVarInsn(ALOAD, 0);
            Emit.iconst(mv, plan.extent.get(b));
            mv.visitInsn(IALOAD);
            mv.visitInsn(IMUL);
        }
        mv.visitInsn(IRETURN);
        close(mv);
    }

    /** Code over locals {@code l} (Launch) and {@code g} (geometry) that reads extents, batch values and inputs. */
    private final class Scalars {
        final MethodVisitor mv;
        final int l, g;

        Scalars(MethodVisitor mv, int l, int g) {
            this.mv = mv;
            this.l = l;
            this.g = g;
        }

        String p() {
            return a.p();
        }

        String m() {
            return a.m();
        }

        void extent(String index) {
            mv.visitVarInsn(ALOAD, l);
            mv.visitFieldInsn(GETFIELD, LAUNCH, "extents", "[I");
            Emit.iconst(mv, plan.extent.get(index));
            mv.visitInsn(IALOAD);
        }

        void batchValue(String index) {
            mv.visitVarInsn(ALOAD, g);
            Emit.iconst(mv, AttentionTemplate.BATCH + plan.batch.indexOf(index));
            mv.visitInsn(IALOAD);
        }

        void index(IndexExpr e) {
            switch (e) {
                case IndexExpr.Idx(String n) -> batchValue(n);
                case IndexExpr.Ext(String n) -> extent(n);
                case IndexExpr.Lit(long v) -> Emit.iconst(mv, Math.toIntExact(v));
                case IndexExpr.INeg(IndexExpr x) -> {
                    index(x);
                    mv.visitInsn(INEG);
                }
                case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr x, IndexExpr y) -> {
                    index(x);
                    index(y);
                    switch (op) {
                        case ADD -> mv.visitInsn(IADD);
                        case SUB -> mv.visitInsn(ISUB);
                        case MUL -> mv.visitInsn(IMUL);
                        case DIV -> mv.visitMethodInsn(INVOKESTATIC, GenericEmitter.FNS, "floorDiv", "(II)I", false);
                        case MOD -> mv.visitMethodInsn(INVOKESTATIC, GenericEmitter.FNS, "floorMod", "(II)I", false);
                    }
                }
            }
        }

        /** Pushes the flat offset of {@code acc} with its first {@code lead} positions given and the rest 0. */
        void offset(Expr.Access acc, int lead) {
            TensorDecl t = c.tensorOrThrow(acc.tensor());
            Emit.iconst(mv, 0);
            for (int k = 0; k < t.arity(); k++) {
                dim(t, k);
                mv.visitInsn(IMUL);
                if (k < lead) {
                    index(acc.indices().get(k));
                    mv.visitInsn(IADD);
                }
            }
        }

        private void dim(TensorDecl t, int k) {
            extent(t.ranks().get(k).index());
            if (t.ranks().get(k).iterative()) {
                Emit.iconst(mv, 1);
                mv.visitInsn(IADD);
            }
        }

        /** Pushes an f32 value of a uniform expression (no query or key index). */
        void value(Expr e) {
            switch (e) {
                case Expr.Const(double v) -> Emit.fconst(mv, (float) v);
                case Expr.ParamRef(String n) -> {
                    mv.visitVarInsn(ALOAD, l);
                    mv.visitFieldInsn(GETFIELD, LAUNCH, "params", "[F");
                    Emit.iconst(mv, plan.param.get(n));
                    mv.visitInsn(FALOAD);
                }
                case Expr.ExtentRef(String ix) -> {
                    extent(ix);
                    mv.visitInsn(I2F);
                }
                case Expr.IndexValue(String ix) -> {
                    batchValue(ix);
                    mv.visitInsn(I2F);
                }
                case Expr.Access acc -> {
                    mv.visitVarInsn(ALOAD, l);
                    mv.visitFieldInsn(GETFIELD, LAUNCH, "tensors", "[[F");
                    Emit.iconst(mv, plan.slot.get(acc.tensor()));
                    mv.visitInsn(AALOAD);
                    offset(acc, acc.indices().size());
                    mv.visitInsn(FALOAD);
                }
                case Expr.Unary(Expr.Fn fn, Expr x) -> {
                    value(x);
                    Emit.unary(mv, fn);
                }
                case Expr.Binary(Expr.Op op, Expr x, Expr y) -> {
                    value(x);
                    value(y);
                    Emit.arith(mv, op);
                }
                case Expr.Select s -> throw new IllegalStateException("select in a uniform expression");
            }
        }

        /** Pushes a double value of a bound's constant part. */
        void doubleValue(Expr e) {
            if (e == null) {
                mv.visitInsn(DCONST_0);
                return;
            }
            switch (e) {
                case Expr.Const(double v) -> mv.visitLdcInsn(v);
                case Expr.Binary(Expr.Op op, Expr x, Expr y) when op == Expr.Op.ADD || op == Expr.Op.MUL -> {
                    doubleValue(x);
                    doubleValue(y);
                    mv.visitInsn(op == Expr.Op.ADD ? DADD : DMUL);
                }
                default -> {
                    value(e);
                    mv.visitInsn(F2D);
                }
            }
        }
    }

    /** {@code geometry(Launch l, int s, int[] g)}: batch values, extents, bases and slots. */
    private void emitGeometry(ClassWriter cw) {
        MethodVisitor mv = open(cw, ACC_STATIC, "geometry", "(L" + LAUNCH + ";I[I)V");
        final int l = 0, s = 1, g = 2, rem = 3;
        Scalars sc = new Scalars(mv, l, g);
        mv.visitVarInsn(ILOAD, s);
        mv.visitVarInsn(ISTORE, rem);
        for (int k = plan.batch.size() - 1; k >= 0; k--) {
            mv.visitVarInsn(ALOAD, g);
            Emit.iconst(mv, AttentionTemplate.BATCH + k);
            mv.visitVarInsn(ILOAD, rem);
            sc.extent(plan.batch.get(k));
            mv.visitInsn(IREM);
            mv.visitInsn(IASTORE);
            mv.visitVarInsn(ILOAD, rem);
            sc.extent(plan.batch.get(k));
            mv.visitInsn(IDIV);
            mv.visitVarInsn(ISTORE, rem);
        }
        store(mv, g, AttentionTemplate.P, () -> sc.extent(a.p()));
        store(mv, g, AttentionTemplate.M, () -> sc.extent(a.m()));
        store(mv, g, AttentionTemplate.E, () -> sc.extent(a.e()));
        store(mv, g, AttentionTemplate.F, () -> sc.extent(a.f()));
        store(mv, g, AttentionTemplate.QB, () -> sc.offset(a.q(), a.q().indices().size() - 2));
        store(mv, g, AttentionTemplate.KB, () -> sc.offset(a.k(), a.k().indices().size() - 2));
        store(mv, g, AttentionTemplate.VB, () -> sc.offset(a.v(), a.v().indices().size() - 2));
        store(mv, g, AttentionTemplate.OB, () -> sc.offset(a.out(), a.out().indices().size() - 2));
        store(mv, g, AttentionTemplate.QS, () -> Emit.iconst(mv, plan.slot.get(a.q().tensor())));
        store(mv, g, AttentionTemplate.KS, () -> Emit.iconst(mv, plan.slot.get(a.k().tensor())));
        store(mv, g, AttentionTemplate.VS, () -> Emit.iconst(mv, plan.slot.get(a.v().tensor())));
        store(mv, g, AttentionTemplate.OS, () -> Emit.iconst(mv, plan.slot.get(a.out().tensor())));
        mv.visitInsn(RETURN);
        close(mv);
    }

    private static void store(MethodVisitor mv, int array, int at, Runnable value) {
        mv.visitVarInsn(ALOAD, array);
        Emit.iconst(mv, at);
        value.run();
        mv.visitInsn(IASTORE);
    }

    private void emitScale(ClassWriter cw) {
        MethodVisitor mv = open(cw, ACC_STATIC, "scale", "(L" + LAUNCH + ";[I)F");
        if (a.scale() == null) Emit.fconst(mv, 1f);
        else new Scalars(mv, 0, 1).value(a.scale());
        mv.visitInsn(FRETURN);
        close(mv);
    }

    /** {@code mod(FloatVector s, int p, int m, Launch l, int[] g)}: the score modification, lane-wise. */
    private void emitMod(ClassWriter cw) {
        String fv = VectorCode.FV_DESC;
        MethodVisitor mv = open(cw, ACC_STATIC, "mod", "(" + fv + "IIL" + LAUNCH + ";[I)" + fv);
        if (a.mod() == null) mv.visitVarInsn(ALOAD, 0);
        else new Lanes(mv, new Scalars(mv, 3, 4)).emit(a.mod());
        mv.visitInsn(ARETURN);
        close(mv);
    }

    /** Emits a score modification as FloatVector operations over the keys m .. m + VL - 1. */
    private final class Lanes {
        private final MethodVisitor mv;
        private final Scalars sc;

        Lanes(MethodVisitor mv, Scalars sc) {
            this.mv = mv;
            this.sc = sc;
        }

        private void broadcast(Runnable scalar) {
            mv.visitFieldInsn(GETSTATIC, name, "SPECIES", "Ljdk/incubator/vector/VectorSpecies;");
            scalar.run();
            mv.visitMethodInsn(INVOKESTATIC, VectorCode.FV, "broadcast", "(Ljdk/incubator/vector/VectorSpecies;F)" + VectorCode.FV_DESC, false);
        }

        void emit(Expr e) {
            switch (e) {
                case Expr.Access acc when acc == AttentionMatch.SCORE -> mv.visitVarInsn(ALOAD, 0);
                case Expr.IndexValue(String ix) when ix.equals(a.p()) -> broadcast(() -> {
                    mv.visitVarInsn(ILOAD, 1);
                    mv.visitInsn(I2F);
                });
                case Expr.IndexValue(String ix) when ix.equals(a.m()) -> {
                    broadcast(() -> {
                        mv.visitVarInsn(ILOAD, 2);
                        mv.visitInsn(I2F);
                    });
                    binaryOp("ADD");
                    mv.visitFieldInsn(GETSTATIC, name, "IOTA", VectorCode.FV_DESC);
                    invokeBinary();
                }
                case Expr.Unary(Expr.Fn fn, Expr x) when VectorCode.helper(fn) != null -> {
                    emit(x);
                    mv.visitMethodInsn(INVOKESTATIC, name, VectorCode.helper(fn), "(" + VectorCode.FV_DESC + ")" + VectorCode.FV_DESC, false);
                }
                case Expr.Unary(Expr.Fn fn, Expr x) -> {
                    emit(x);
                    mv.visitFieldInsn(GETSTATIC, VectorCode.OPS, VectorCode.unary(fn), "Ljdk/incubator/vector/VectorOperators$Unary;");
                    mv.visitMethodInsn(INVOKEVIRTUAL, VectorCode.FV, "lanewise", "(Ljdk/incubator/vector/VectorOperators$Unary;)" + VectorCode.FV_DESC, false);
                }
                case Expr.Binary(Expr.Op op, Expr x, Expr y) -> {
                    emit(x);
                    binaryOp(VectorCode.binary(op));
                    emit(y);
                    invokeBinary();
                }
                default -> broadcast(() -> sc.value(e));
            }
        }

        private void binaryOp(String op) {
            boolean associative = op.equals("ADD") || op.equals("MUL") || op.equals("MIN") || op.equals("MAX");
            mv.visitFieldInsn(GETSTATIC, VectorCode.OPS, op, "Ljdk/incubator/vector/VectorOperators$" + (associative ? "Associative;" : "Binary;"));
        }

        private void invokeBinary() {
            mv.visitMethodInsn(INVOKEVIRTUAL, VectorCode.FV, "lanewise",
                    "(Ljdk/incubator/vector/VectorOperators$Binary;Ljdk/incubator/vector/Vector;)" + VectorCode.FV_DESC, false);
        }
    }

    /**
     * {@code lo(int p, Launch l, int[] g)} or {@code hi(...)}: the tightest bound the masks put on m
     * for query row p, from {@code cm*m + cp*p + c0 OP 0}, i.e. {@code m OP t} with {@code t = -(cp*p + c0)}.
     */
    private void emitBound(ClassWriter cw, String which) {
        boolean lower = which.equals("lo");
        MethodVisitor mv = open(cw, ACC_STATIC, which, "(IL" + LAUNCH + ";[I)I");
        final int p = 0, l = 1, g = 2, result = 3;
        Scalars sc = new Scalars(mv, l, g);
        mv.visitLdcInsn(lower ? Integer.MIN_VALUE : Integer.MAX_VALUE);
        mv.visitVarInsn(ISTORE, result);
        List<Expr> mask = a.mask();
        for (Expr x : mask) {
            Bounds b = Bounds.of(x, a.p(), a.m());
            if (b == null) {
                Bounds.Target t = Bounds.target(x, a.m());
                if (t != null) bound(mv, t.op(), lower, result, () -> condition(mv, sc, t.t(), p, -1));
                continue;
            }
            if (b.cm() == 0) {
                // A condition on p alone: an empty row when it fails.
                if (lower) continue;
                Label holds = new Label();
                pushLinear(mv, sc, b, p, false);
                Emit.iconst(mv, 0);
                mv.visitInsn(I2D);
                mv.visitInsn(DCMPG);
                switch (b.op()) {
                    case LT -> mv.visitJumpInsn(IFLT, holds);
                    case LE -> mv.visitJumpInsn(IFLE, holds);
                    case GT -> mv.visitJumpInsn(IFGT, holds);
                    case GE -> mv.visitJumpInsn(IFGE, holds);
                    case EQ -> mv.visitJumpInsn(IFEQ, holds);
                    default -> throw new IllegalStateException(b.op().toString());
                }
                mv.visitLdcInsn(Integer.MIN_VALUE);
                mv.visitVarInsn(ISTORE, result);
                mv.visitLabel(holds);
                continue;
            }
            bound(mv, b.op(), lower, result, () -> pushLinear(mv, sc, b, p, true));
        }
        mv.visitVarInsn(ILOAD, result);
        mv.visitInsn(IRETURN);
        close(mv);
    }

    /** Tightens {@code result} (the lower or upper end of the key range) by {@code m OP t}, {@code t} pushed as a double by {@code t}. */
    private static void bound(MethodVisitor mv, Expr.Op op, boolean lower, int result, Runnable t) {
        boolean applies = switch (op) {
            case LT, LE -> !lower;
            case GT, GE -> lower;
            case EQ -> true;
            default -> false;
        };
        if (!applies) return;
        t.run();
        boolean floor = switch (op) {
            case LE, GT -> true;
            case EQ -> !lower;
            default -> false;
        };
        mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", floor ? "floor" : "ceil", "(D)D", false);
        mv.visitInsn(D2I);
        if (floor) {
            Emit.iconst(mv, 1);
            mv.visitInsn(IADD);
        }
        mv.visitVarInsn(ILOAD, result);
        mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", lower ? "max" : "min", "(II)I", false);
        mv.visitVarInsn(ISTORE, result);
    }

    /** The mask conjuncts that are not bounds, tested per key. */
    private List<Expr> laneMasks() {
        return a.mask().stream().filter(x -> AttentionMatch.isLaneMask(x, a.p(), a.m())).toList();
    }

    /** {@code keep(int p, int m, Launch l, int[] g)}: whether every lane mask holds for key m of row p. */
    private void emitKeep(ClassWriter cw) {
        MethodVisitor mv = open(cw, ACC_STATIC, "keep", "(IIL" + LAUNCH + ";[I)Z");
        final int p = 0, m = 1, l = 2, g = 3;
        Scalars sc = new Scalars(mv, l, g);
        Label drop = new Label();
        for (Expr x : laneMasks()) {
            condition(mv, sc, x, p, m);
            mv.visitInsn(DCONST_0);
            mv.visitInsn(DCMPL);
            mv.visitJumpInsn(IFEQ, drop);
        }
        Emit.iconst(mv, 1);
        mv.visitInsn(IRETURN);
        mv.visitLabel(drop);
        Emit.iconst(mv, 0);
        mv.visitInsn(IRETURN);
        close(mv);
    }

    /**
     * Pushes {@code e} as a double, as the reference evaluates it (conditions are 1 or 0), with
     * the query and key indices in int locals {@code p} and {@code m} ({@code m} < 0: none).
     */
    private static void condition(MethodVisitor mv, Scalars sc, Expr e, int p, int m) {
        switch (e) {
            case Expr.Const(double v) -> mv.visitLdcInsn(v);
            case Expr.IndexValue(String ix) when ix.equals(sc.p()) -> {
                mv.visitVarInsn(ILOAD, p);
                mv.visitInsn(I2D);
            }
            case Expr.IndexValue(String ix) when ix.equals(sc.m()) && m >= 0 -> {
                mv.visitVarInsn(ILOAD, m);
                mv.visitInsn(I2D);
            }
            case Expr.Unary(Expr.Fn fn, Expr x) when fn == Expr.Fn.NEG -> {
                condition(mv, sc, x, p, m);
                mv.visitInsn(DNEG);
            }
            case Expr.Unary(Expr.Fn fn, Expr x) when fn == Expr.Fn.NOT -> {
                condition(mv, sc, x, p, m);
                mv.visitInsn(DCONST_0);
                mv.visitInsn(DCMPL);
                truth(mv, IFEQ);
            }
            case Expr.Unary(Expr.Fn fn, Expr x) -> {
                condition(mv, sc, x, p, m);
                mv.visitInsn(D2F);
                Emit.unary(mv, fn);
                mv.visitInsn(F2D);
            }
            case Expr.Binary(Expr.Op op, Expr x, Expr y) when op.isLogic() -> {
                condition(mv, sc, x, p, m);
                mv.visitInsn(DCONST_0);
                mv.visitInsn(DCMPL);
                Label shortCut = new Label(), end = new Label();
                mv.visitJumpInsn(op == Expr.Op.AND ? IFEQ : IFNE, shortCut);
                condition(mv, sc, y, p, m);
                mv.visitInsn(DCONST_0);
                mv.visitInsn(DCMPL);
                truth(mv, IFNE);
                mv.visitJumpInsn(GOTO, end);
                mv.visitLabel(shortCut);
                mv.visitInsn(op == Expr.Op.AND ? DCONST_0 : DCONST_1);
                mv.visitLabel(end);
            }
            case Expr.Binary(Expr.Op op, Expr x, Expr y) when op.isComparison() -> {
                condition(mv, sc, x, p, m);
                condition(mv, sc, y, p, m);
                // NaN compares false except for !=: DCMPG gives 1 for LT/LE, DCMPL -1 for GT/GE/EQ/NE.
                mv.visitInsn(op == Expr.Op.LT || op == Expr.Op.LE ? DCMPG : DCMPL);
                truth(mv, switch (op) {
                    case LT -> IFLT;
                    case LE -> IFLE;
                    case GT -> IFGT;
                    case GE -> IFGE;
                    case EQ -> IFEQ;
                    default -> IFNE;
                });
            }
            case Expr.Binary(Expr.Op op, Expr x, Expr y) -> {
                condition(mv, sc, x, p, m);
                condition(mv, sc, y, p, m);
                switch (op) {
                    case ADD -> mv.visitInsn(DADD);
                    case SUB -> mv.visitInsn(DSUB);
                    case MUL -> mv.visitInsn(DMUL);
                    case DIV -> mv.visitInsn(DDIV);
                    case MIN -> mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "min", "(DD)D", false);
                    case MAX -> mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "max", "(DD)D", false);
                    default -> mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "pow", "(DD)D", false);
                }
            }
            case Expr.Select(Expr cond, Expr x, Expr y) -> {
                condition(mv, sc, cond, p, m);
                mv.visitInsn(DCONST_0);
                mv.visitInsn(DCMPL);
                Label no = new Label(), end = new Label();
                mv.visitJumpInsn(IFEQ, no);
                condition(mv, sc, x, p, m);
                mv.visitJumpInsn(GOTO, end);
                mv.visitLabel(no);
                condition(mv, sc, y, p, m);
                mv.visitLabel(end);
            }
            default -> sc.doubleValue(e);
        }
    }

    /** Turns the int on the stack into 1.0 when jump {@code op} would be taken, else 0.0. */
    private static void truth(MethodVisitor mv, int op) {
        Label yes = new Label(), end = new Label();
        mv.visitJumpInsn(op, yes);
        mv.visitInsn(DCONST_0);
        mv.visitJumpInsn(GOTO, end);
        mv.visitLabel(yes);
        mv.visitInsn(DCONST_1);
        mv.visitLabel(end);
    }

    /** Pushes {@code cp*p + c0} as a double, negated when {@code negate}. */
    private static void pushLinear(MethodVisitor mv, Scalars sc, Bounds b, int p, boolean negate) {
        mv.visitLdcInsn(b.cp());
        mv.visitVarInsn(ILOAD, p);
        mv.visitInsn(I2D);
        mv.visitInsn(DMUL);
        sc.doubleValue(b.c0());
        mv.visitInsn(DADD);
        if (negate) mv.visitInsn(DNEG);
    }
}
