package einc.codegen.llvm;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMErrorRef;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMPassBuilderOptionsRef;
import org.bytedeco.llvm.LLVM.LLVMTargetMachineRef;
import org.bytedeco.llvm.LLVM.LLVMTargetRef;

import java.nio.file.Path;

import static org.bytedeco.llvm.global.LLVM.*;

/**
 * The LLVM C API as the backend uses it (through the JavaCPP presets): the host target machine
 * with its CPU and features, parsing IR text into a module, the new pass manager at O3, and object
 * files. Every LLVM error becomes an {@link IllegalStateException} with LLVM's message.
 */
final class Toolchain {

    private static boolean ready;
    private static String triple, cpu, features;

    private Toolchain() {}

    static synchronized void init() {
        if (ready) return;
        if (LLVMInitializeNativeTarget() != 0 || LLVMInitializeNativeAsmPrinter() != 0 || LLVMInitializeNativeAsmParser() != 0)
            throw new IllegalStateException("llvm has no native target for this machine");
        triple = string(LLVMGetDefaultTargetTriple());
        cpu = string(LLVMGetHostCPUName());
        features = string(LLVMGetHostCPUFeatures());
        ready = true;
    }

    static String triple() {
        init();
        return triple;
    }

    static String cpu() {
        init();
        return cpu;
    }

    static String features() {
        init();
        return features;
    }

    private static String string(BytePointer p) {
        String s = p.getString();
        LLVMDisposeMessage(p);
        return s;
    }

    /** A target machine for this CPU with all its features, position-independent code, O3. */
    static LLVMTargetMachineRef hostMachine() {
        init();
        LLVMTargetRef target = new LLVMTargetRef();
        BytePointer error = new BytePointer((BytePointer) null);
        if (LLVMGetTargetFromTriple(new BytePointer(triple), target, error) != 0)
            throw new IllegalStateException("llvm has no target for " + triple + ": " + string(error));
        return LLVMCreateTargetMachine(target, triple, cpu, features, LLVMCodeGenLevelAggressive, LLVMRelocPIC, LLVMCodeModelDefault);
    }

    /** The data layout string of {@code tm}. */
    static String dataLayout(LLVMTargetMachineRef tm) {
        var td = LLVMCreateTargetDataLayout(tm);
        String s = string(LLVMCopyStringRepOfTargetData(td));
        LLVMDisposeTargetData(td);
        return s;
    }

    /** Parses {@code text} into a module of {@code context} and verifies it. */
    static LLVMModuleRef parse(LLVMContextRef context, String text, String name) {
        init();
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        BytePointer data = new BytePointer(bytes.length);
        data.put(bytes, 0, bytes.length);
        LLVMMemoryBufferRef buffer = LLVMCreateMemoryBufferWithMemoryRangeCopy(data, bytes.length, new BytePointer(name));
        LLVMModuleRef module = new LLVMModuleRef();
        BytePointer error = new BytePointer((BytePointer) null);
        if (LLVMParseIRInContext(context, buffer, module, error) != 0)
            throw new IllegalStateException("generated llvm ir does not parse: " + string(error));
        BytePointer verify = new BytePointer((BytePointer) null);
        if (LLVMVerifyModule(module, LLVMReturnStatusAction, verify) != 0)
            throw new IllegalStateException("generated llvm ir is invalid: " + string(verify));
        return module;
    }

    /** Runs the new pass manager's {@code default<O3>} pipeline for {@code tm} over {@code module}. */
    static void optimize(LLVMModuleRef module, LLVMTargetMachineRef tm) {
        LLVMPassBuilderOptionsRef options = LLVMCreatePassBuilderOptions();
        LLVMPassBuilderOptionsSetLoopVectorization(options, 1);
        LLVMPassBuilderOptionsSetSLPVectorization(options, 1);
        LLVMPassBuilderOptionsSetLoopUnrolling(options, 1);
        try {
            check(LLVMRunPasses(module, "default<O3>", tm, options));
        } finally {
            LLVMDisposePassBuilderOptions(options);
        }
    }

    static String print(LLVMModuleRef module) {
        return string(LLVMPrintModuleToString(module));
    }

    static void emitObject(LLVMModuleRef module, LLVMTargetMachineRef tm, Path file) {
        BytePointer error = new BytePointer((BytePointer) null);
        if (LLVMTargetMachineEmitToFile(tm, module, new BytePointer(file.toString()), LLVMObjectFile, error) != 0)
            throw new IllegalStateException("llvm could not write " + file + ": " + string(error));
    }

    static void check(LLVMErrorRef error) {
        if (error != null && !error.isNull()) {
            BytePointer msg = LLVMGetErrorMessage(error);
            String s = msg.getString();
            LLVMDisposeErrorMessage(msg);
            throw new IllegalStateException("llvm: " + s);
        }
    }

    static PointerPointer<?> out() {
        return new PointerPointer<>(1);
    }
}
