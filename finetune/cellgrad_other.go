//go:build !amd64 || purego

package finetune

// addPowersVector and cellGradientsVector handle no levels where there is
// no vector code: the scalar loops compute them all.
func addPowersVector(sp, sn, c []float64) int { return 0 }

func cellGradientsVector(gradC, c []float64, f *cellFactors, cells float64) int { return 0 }
