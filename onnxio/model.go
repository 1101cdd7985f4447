package onnxio

import "github.com/elight-photonic/elight/onnxio/onnxpb"

// SetInitializer adds t to the graph's initializers, replacing any tensor of
// the same name, and marks it as changed so that Write encodes it anew. t
// must not be nil.
func (m *Model) SetInitializer(t *Tensor) {
	if m.Graph == nil {
		m.Graph = &Graph{}
	}
	if m.Graph.Initializers == nil {
		m.Graph.Initializers = make(map[string]*Tensor)
	}
	if m.changed == nil {
		m.changed = make(map[string]bool)
	}
	m.Graph.Initializers[t.Name] = t
	m.changed[t.Name] = true
}

// Metadata returns the model's metadata_props as a map. If a key is listed
// more than once, the last value wins, as in the ONNX runtime.
func (m *Model) Metadata() map[string]string {
	md := make(map[string]string)
	if m.proto != nil {
		for _, kv := range m.proto.GetMetadataProps() {
			md[kv.GetKey()] = kv.GetValue()
		}
	}
	return md
}

// SetMetadata sets the metadata_props entry key to value: in place if the
// key exists, so that the order of entries is kept, or appended otherwise.
// Later duplicates of key are removed. Write stores the change.
func (m *Model) SetMetadata(key, value string) { setMetadata(m.base(), key, value) }

// setMetadata is SetMetadata on the proto mp.
func setMetadata(mp *onnxpb.ModelProto, key, value string) {
	props := mp.MetadataProps[:0]
	found := false
	for _, kv := range mp.MetadataProps {
		if kv.GetKey() != key {
			props = append(props, kv)
			continue
		}
		if !found {
			kv.Value = value
			props = append(props, kv)
			found = true
		}
	}
	if !found {
		props = append(props, &onnxpb.StringStringEntryProto{Key: key, Value: value})
	}
	mp.MetadataProps = props
}

// base returns the proto Write starts from, creating an empty one for a
// model built in memory.
func (m *Model) base() *onnxpb.ModelProto {
	if m.proto == nil {
		m.proto = &onnxpb.ModelProto{}
	}
	return m.proto
}
