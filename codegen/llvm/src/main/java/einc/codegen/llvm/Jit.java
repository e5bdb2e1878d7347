package einc.codegen.llvm;

import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMOrcDefinitionGeneratorRef;
import org.bytedeco.llvm.LLVM.LLVMOrcJITTargetMachineBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMOrcLLJITBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMOrcLLJITRef;
import org.bytedeco.llvm.LLVM.LLVMOrcThreadSafeContextRef;
import org.bytedeco.llvm.LLVM.LLVMOrcThreadSafeModuleRef;
import org.bytedeco.llvm.LLVM.LLVMTargetMachineRef;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.bytedeco.llvm.global.LLVM.*;

/**
 * One ORC LLJIT for the process, targeting the host CPU, that resolves C library symbols
 * ({@code malloc}, {@code logf}) from the process. Modules are optimized at O3 with the host target
 * machine before they are added; their symbols come back as a {@link SymbolLookup}.
 */
final class Jit {

    private static LLVMOrcLLJITRef jit;

    private Jit() {}

    private static synchronized LLVMOrcLLJITRef instance() {
        if (jit != null) return jit;
        Toolchain.init();
        PointerPointer<LLVMOrcJITTargetMachineBuilderRef> jtmb = new PointerPointer<>(1);
        Toolchain.check(LLVMOrcJITTargetMachineBuilderDetectHost(jtmb));
        LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
        LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, jtmb.get(LLVMOrcJITTargetMachineBuilderRef.class, 0));
        LLVMOrcLLJITRef j = new LLVMOrcLLJITRef();
        Toolchain.check(LLVMOrcCreateLLJIT(j, builder));
        PointerPointer<LLVMOrcDefinitionGeneratorRef> gen = new PointerPointer<>(1);
        Toolchain.check(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(gen, LLVMOrcLLJITGetGlobalPrefix(j), null, null));
        LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(j), gen.get(LLVMOrcDefinitionGeneratorRef.class, 0));
        jit = j;
        return j;
    }

    /** Parses, optimizes and adds {@code text}; returns the addresses of {@code symbols}. */
    static synchronized SymbolLookup add(String text, String name, List<String> symbols) {
        LLVMOrcLLJITRef j = instance();
        LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
        LLVMContextRef context = LLVMOrcThreadSafeContextGetContext(tsc);
        LLVMModuleRef module = Toolchain.parse(context, text, name);
        LLVMTargetMachineRef tm = Toolchain.hostMachine();
        try {
            Toolchain.optimize(module, tm);
        } finally {
            LLVMDisposeTargetMachine(tm);
        }
        LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(module, tsc);
        Toolchain.check(LLVMOrcLLJITAddLLVMIRModule(j, LLVMOrcLLJITGetMainJITDylib(j), tsm));
        LLVMOrcDisposeThreadSafeContext(tsc);
        Map<String, MemorySegment> found = new LinkedHashMap<>();
        for (String s : symbols) {
            long[] address = new long[1];
            Toolchain.check(LLVMOrcLLJITLookup(j, address, s));
            found.put(s, MemorySegment.ofAddress(address[0]));
        }
        return s -> Optional.ofNullable(found.get(s));
    }
}
