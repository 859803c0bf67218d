package io.aircela.backend.opencl;

import io.aircela.compute.ComputeBackendProvider;
import io.aircela.tck.ComputeBackendContractTest;

/**
 * The OpenCL backend passes the TCK on whatever OpenCL device ranks first here (PoCL's CPU device in CI);
 * the suite skips, naming the probe's reason, where there is no OpenCL platform. The backend starts no
 * threads of its own, so the default (none) is right.
 */
class OpenClBackendContractTest extends ComputeBackendContractTest {
    @Override
    protected ComputeBackendProvider provider() {
        return new OpenClBackendProvider();
    }
}
