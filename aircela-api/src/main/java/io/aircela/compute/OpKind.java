package io.aircela.compute;

/** The operations a transformer block needs; one per {@link Op} record. */
public enum OpKind {
    GET_ROWS, MATMUL, RMSNORM, ROPE, ATTENTION, SWIGLU, ADD, SOFTMAX, COPY
}
