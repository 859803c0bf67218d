package io.aircela.backend.cpu;

import io.aircela.compute.ComputeBackend;
import io.aircela.compute.ComputeBackendProvider;
import io.aircela.tck.ComputeBackendContractTest;

import java.util.function.Predicate;

/** The CPU backend passes the TCK; its worker threads are the ones named with its prefix. */
class CpuBackendContractTest extends ComputeBackendContractTest {
    @Override
    protected ComputeBackendProvider provider() {
        return new CpuBackendProvider();
    }

    @Override
    protected Predicate<Thread> isThreadOf(ComputeBackend backend) {
        String prefix = ((CpuBackend) backend).threadNamePrefix();
        return t -> t.getName().startsWith(prefix);
    }
}
