/**
 * AirCELA's generic prefetch pipeline: loads the stages of an endless cycle ahead of one
 * consumer into a bounded set of slots. Requires nothing but {@code java.base}; it knows a
 * loaded value {@code T}, not tensors, so the engine decides what a stage and a slot are.
 */
module io.aircela.scheduler {
    exports io.aircela.scheduler;
}
