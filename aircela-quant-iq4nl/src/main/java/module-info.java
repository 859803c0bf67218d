/** IQ4_NL as a quant-format plug-in: found only through ServiceLoader. */
module io.aircela.quant.iq4nl {
    requires io.aircela.api;

    provides io.aircela.quant.DequantizerProvider with io.aircela.quant.iq4nl.IQ4_NLDequantizerProvider;
}
