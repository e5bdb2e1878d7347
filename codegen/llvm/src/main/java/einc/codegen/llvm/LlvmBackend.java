package einc.codegen.llvm;

import einc.ir.Cascade;
import einc.ir.IndexDef;
import einc.ir.Param;
import einc.ir.Rank;
import einc.ir.TensorDecl;
import einc.runtime.NativeKernel;
import einc.runtime.NativeManifest;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMTargetMachineRef;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.bytedeco.llvm.global.LLVM.*;

/**
 * The LLVM CPU backend: a cascade becomes an LLVM IR module ({@link ModuleEmitter}) for the host
 * CPU, optimized at O3, then either JIT-compiled with ORC and called through Panama
 * ({@link #jit}) or written ahead of time as {@code .ll}, object file, shared library and manifest
 * ({@link #compile}), which {@link NativeKernel#load} runs with no LLVM on the class path.
 */
public final class LlvmBackend {

    private static final AtomicInteger JITTED = new AtomicInteger();

    private LlvmBackend() {}

    /** "fused" or "generic (REASON)": which kernel {@code c} compiles to. */
    public static String variant(Cascade c) {
        return ModuleEmitter.variant(c);
    }

    /** The IR of {@code c} for this machine, before optimization ({@code optimized} false) or after O3. */
    public static String ir(Cascade c, boolean optimized) {
        String text = text(c, ModuleEmitter.symbol(c));
        if (!optimized) return text;
        LLVMContextRef context = LLVMContextCreate();
        LLVMTargetMachineRef tm = Toolchain.hostMachine();
        try {
            LLVMModuleRef module = Toolchain.parse(context, text, c.name());
            Toolchain.optimize(module, tm);
            return Toolchain.print(module);
        } finally {
            LLVMDisposeTargetMachine(tm);
            LLVMContextDispose(context);
        }
    }

    private static String text(Cascade c, String symbol) {
        LLVMTargetMachineRef tm = Toolchain.hostMachine();
        try {
            return ModuleEmitter.emit(c, symbol, Toolchain.triple(), Toolchain.dataLayout(tm), Toolchain.cpu(), Toolchain.features());
        } finally {
            LLVMDisposeTargetMachine(tm);
        }
    }

    /** JIT-compiles {@code c} into this process. */
    public static NativeKernel jit(Cascade c) {
        String symbol = ModuleEmitter.symbol(c) + "_" + JITTED.incrementAndGet();
        String text = text(c, symbol);
        var lookup = Jit.add(text, c.name(), List.of(symbol, symbol + "_extents", symbol + "_params", symbol + "_tasks"));
        return new NativeKernel(manifest(c, symbol, null), lookup);
    }

    /** Writes {@code NAME.ll}, {@code NAME.o}, {@code libNAME.so} (linked with {@code cc}) and the manifest into {@code dir}. */
    public static NativeManifest compile(Cascade c, Path dir) {
        String symbol = ModuleEmitter.symbol(c);
        String base = symbol;
        String text = text(c, symbol);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(base + ".ll"), text);
            Path object = dir.resolve(base + ".o");
            LLVMContextRef context = LLVMContextCreate();
            LLVMTargetMachineRef tm = Toolchain.hostMachine();
            try {
                LLVMModuleRef module = Toolchain.parse(context, text, c.name());
                Toolchain.optimize(module, tm);
                Toolchain.emitObject(module, tm, object);
            } finally {
                LLVMDisposeTargetMachine(tm);
                LLVMContextDispose(context);
            }
            String library = "lib" + base + ".so";
            link(object, dir.resolve(library));
            NativeManifest m = manifest(c, symbol, library);
            Files.writeString(dir.resolve(NativeManifest.FILE), m.write());
            return m;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the kernel into " + dir, e);
        }
    }

    private static void link(Path object, Path library) throws IOException {
        List<String> cmd = List.of("cc", "-shared", "-o", library.toString(), object.toString(), "-lm");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0)
                throw new IllegalStateException("linking " + library.getFileName() + " with cc failed: " + out.strip());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while linking " + library);
        }
    }

    /** The manifest of {@code c}'s kernel exported as {@code symbol}. */
    public static NativeManifest manifest(Cascade c, String symbol, String library) {
        List<String> indices = c.indices().stream().map(IndexDef::name).toList();
        Map<String, String> classes = new LinkedHashMap<>();
        for (IndexDef d : c.indices()) if (d.rule() instanceof IndexDef.Bound(String rep)) classes.put(d.name(), rep);
        Map<String, List<String>> inputs = new LinkedHashMap<>(), outputs = new LinkedHashMap<>();
        for (TensorDecl t : c.inputs()) inputs.put(t.name(), ranks(t));
        for (TensorDecl t : c.outputs()) outputs.put(t.name(), ranks(t));
        List<String> params = c.params().stream().map(Param::name).toList();
        List<String> defaults = c.params().stream().filter(p -> p.defaultValue() != null).map(Param::name).toList();
        return new NativeManifest(c.name(), symbol, library, indices, classes, inputs, outputs, params, defaults);
    }

    private static List<String> ranks(TensorDecl t) {
        List<String> out = new ArrayList<>();
        for (Rank r : t.ranks()) out.add(r.index() + (r.iterative() ? "+" : ""));
        return out;
    }
}
