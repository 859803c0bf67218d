/** The inside of the hexagon: architectures, forward pass, tokenizers, sampling, generation. */
module io.aircela.engine {
    requires transitive io.aircela.api;
    requires io.aircela.scheduler;
    requires org.slf4j;
    requires jdk.unsupported; // com.sun.nio.file.ExtendedOpenOption.DIRECT for --direct-io
    requires com.fasterxml.jackson.databind;
    // DJL's HuggingFace tokenizers jar has no module-info; its Automatic-Module-Name is ai.djl.tokenizers
    requires ai.djl.tokenizers;

    exports io.aircela.engine;
    exports io.aircela.engine.model;
    exports io.aircela.engine.generate;
    exports io.aircela.engine.sampling;
    exports io.aircela.engine.streaming;
    exports io.aircela.engine.tokenizer;
    exports io.aircela.engine.store;
}
