/** The inside of the hexagon: architectures, forward pass, tokenizers, sampling, generation. */
module io.aircela.engine {
    requires transitive io.aircela.api;
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;
    // DJL's HuggingFace tokenizers jar has no module-info; its Automatic-Module-Name is ai.djl.tokenizers
    requires ai.djl.tokenizers;

    exports io.aircela.engine;
    exports io.aircela.engine.model;
    exports io.aircela.engine.generate;
    exports io.aircela.engine.sampling;
    exports io.aircela.engine.tokenizer;
    exports io.aircela.engine.store;
}
