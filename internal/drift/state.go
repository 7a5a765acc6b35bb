package drift

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// A saved plan file is a zip archive that also holds the state the plan
// was made from twice: "tfstate-prev", as the last apply left it, and
// "tfstate", as the refresh found it. A plan without changes (exit code
// 0) has no drift to classify (see Classify), so it needs no `terraform
// show` (which would load every provider schema again): the managed
// resources for the unmanaged check are read from these two states. A
// plan file vigil cannot read this way (OpenTofu state encryption, a
// future layout) falls back to `terraform show -json`.

// planStates are the two state files of a saved plan.
type planStates struct {
	prev, prior []byte
}

// readPlanStates reads tfstate-prev and tfstate from a saved plan.
func readPlanStates(planFile string) (*planStates, error) {
	zr, err := zip.OpenReader(planFile)
	if err != nil {
		return nil, fmt.Errorf("read plan file: %w", err)
	}
	defer zr.Close()
	ps := &planStates{}
	for _, f := range zr.File {
		var dst *[]byte
		switch f.Name {
		case "tfstate":
			dst = &ps.prior
		case "tfstate-prev":
			dst = &ps.prev
		default:
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		*dst, err = io.ReadAll(io.LimitReader(rc, 512<<20))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("read plan file: %w", err)
		}
	}
	if ps.prior == nil || ps.prev == nil {
		return nil, fmt.Errorf("plan file holds no prior state")
	}
	for _, b := range [][]byte{ps.prior, ps.prev} {
		if len(bytes.TrimSpace(b)) > 0 && !json.Valid(b) {
			return nil, fmt.Errorf("plan file state is not JSON (encrypted?)")
		}
	}
	return ps, nil
}

// stateFile is the part of a version 4 state file vigil reads.
type stateFile struct {
	Version   int             `json:"version"`
	Resources []stateResource `json:"resources"`
}

type stateResource struct {
	Module    string          `json:"module"`
	Mode      string          `json:"mode"`
	Type      string          `json:"type"`
	Name      string          `json:"name"`
	Instances []stateInstance `json:"instances"`
}

type stateInstance struct {
	IndexKey   any             `json:"index_key"`
	Deposed    string          `json:"deposed"`
	Attributes json.RawMessage `json:"attributes"`
}

// stateObject is one current managed resource instance of a state.
type stateObject struct {
	Address string
	Type    string
	Values  json.RawMessage
}

// parseState returns the current managed instances of a state, by
// address, and the addresses in state order. An empty document is an
// empty state.
func parseState(data []byte) (map[string]*stateObject, []string, error) {
	objs := map[string]*stateObject{}
	if len(bytes.TrimSpace(data)) == 0 {
		return objs, nil, nil
	}
	var sf stateFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&sf); err != nil {
		return nil, nil, fmt.Errorf("read state: %w", err)
	}
	if sf.Version != 4 {
		return nil, nil, fmt.Errorf("state format version %d is not 4", sf.Version)
	}
	var order []string
	for _, r := range sf.Resources {
		if r.Mode != "managed" {
			continue
		}
		for _, in := range r.Instances {
			if in.Deposed != "" {
				continue
			}
			addr := r.Type + "." + r.Name + indexSuffix(in.IndexKey)
			if r.Module != "" {
				addr = r.Module + "." + addr
			}
			objs[addr] = &stateObject{Address: addr, Type: r.Type, Values: in.Attributes}
			order = append(order, addr)
		}
	}
	return objs, order, nil
}

func indexSuffix(k any) string {
	switch t := k.(type) {
	case nil:
		return ""
	case json.Number:
		return "[" + t.String() + "]"
	case string:
		return "[" + strconv.Quote(t) + "]"
	}
	return fmt.Sprintf("[%v]", k)
}
