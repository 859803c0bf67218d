/**
 * JMH benchmarks: kernels of each compute backend per quant type, dequantizers, the prefetch pipeline.
 * The runnable jar is a class-path jar (JMH's generated code and its forked JVMs expect the class
 * path); this descriptor keeps the module's dependencies explicit and is checked at compile time.
 */
module io.aircela.bench {
    requires io.aircela.api;
    requires io.aircela.scheduler;
    requires jmh.core;

    exports io.aircela.bench;
}
