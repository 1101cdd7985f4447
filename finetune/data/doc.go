// Package data reads the image datasets elight evaluates and fine-tunes
// models on, and turns them into preprocessed float32 batches.
//
// A dataset is named by a spec, FORMAT:PATH:
//
//	cifar10:DIR    the CIFAR-10 binary version: data_batch_1.bin ... data_batch_5.bin
//	               (train) and test_batch.bin (test) in DIR or DIR/cifar-10-batches-bin;
//	               records of 1 label byte and 3072 pixel bytes (R, G, B planes, 32x32)
//	cifar100:DIR   the CIFAR-100 binary version: train.bin and test.bin in DIR or
//	               DIR/cifar-100-binary; records of a coarse and a fine label byte and
//	               3072 pixel bytes; the labels are the 100 fine classes
//	idx:DIR        MNIST-style idx files: train-images-idx3-ubyte,
//	               train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
//	               t10k-labels-idx1-ubyte (or the same names with a dot before
//	               "idx"), each plain or gzip-compressed (.gz)
//	images:DIR     one subfolder of PNG or JPEG images per class; the class
//	               index is the position of the folder name in sorted order
//	npy:X.npy[,Y.npy]
//	               float32 images [N, C, H, W], already preprocessed, and
//	               optionally their integer labels [N]
//
// CIFAR and idx data come with train and test splits. For images and npy
// data the test split is a fraction of the images held out at random
// (Options.Holdout, Options.Seed), the train split is the rest, and the
// split "all" holds every image.
//
// Open reads only what it needs to describe a dataset (file headers, labels,
// image sizes; npy files whole); Dataset.Split reads one split's images.
// Images are kept as the uint8 pixels of the file, a quarter of their size
// as float32, and converted batch by batch: a Loader applies a Preprocess
// (zero padding, bilinear resizing, gray-to-color channel replication,
// per-channel normalization) and hands out batches in order or shuffled by
// a seed. Pixels that are not resized stay integers, and normalization is
// computed in float32 exactly as
//
//	x = (float32(p)/255 - mean[c]) / std[c]
//
// which reproduces bit for bit the inputs of a torch pipeline doing the same
// float32 steps (the tests check testdata/*/input.npy).
//
// Dataset.CheckInput compares the preprocessed image shape with a model's
// declared input before any work is done. Hints in error messages name
// elight's command-line flags (--pad, --resize, --channels, --mean, --std,
// --holdout, --split), which mirror the fields of Preprocess and Options.
package data
