// Package quantize maps weights onto the transmission levels of
// phase-change-material (PCM) cells by logarithmic quantization, as ELight
// (Zhu et al., ASP-DAC 2022) does.
//
// A PCM level l removes a fixed fraction of light: its transmission is
// beta^l with beta = 1 - pcm_loss, l = 0 .. L-1, L = 2^bits. A weight w with
// scale alpha is mapped to x = |w|/alpha, shifted into the transmission range
// as y = x*(1-ref) + ref with ref = beta^(L-1), and given whichever of the two
// levels around log_beta(y) has the nearer transmission (ties: the lower
// level index, i.e. the higher transmission). The programmed magnitude level
// is v = (L-1) - l, so 0 is a zero weight; positive weights live on the
// positive array and negative ones on the negative array, and the signed
// level c = pos - neg lies in [-(L-1), L-1].
//
// Everything is computed in float64 from float32 weights: in float32 a few
// boundary weights round to the neighbouring level.
package quantize
