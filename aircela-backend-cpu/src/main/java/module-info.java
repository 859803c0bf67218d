/** The CPU compute backend: Vector API kernels over FFM memory, a scalar twin for each. */
module io.aircela.backend.cpu {
    requires io.aircela.api;
    requires jdk.incubator.vector;

}
