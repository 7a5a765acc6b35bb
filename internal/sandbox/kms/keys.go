package kms

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

type keyIDInput struct {
	KeyID string `json:"KeyId"`
}

type keyMetadataOutput struct {
	KeyMetadata metadata `json:"KeyMetadata"`
}

type createKeyInput struct {
	BypassPolicyLockoutSafetyCheck bool    `json:"BypassPolicyLockoutSafetyCheck"`
	CustomKeyStoreID               string  `json:"CustomKeyStoreId"`
	CustomerMasterKeySpec          string  `json:"CustomerMasterKeySpec"`
	Description                    *string `json:"Description"`
	KeySpec                        string  `json:"KeySpec"`
	KeyUsage                       string  `json:"KeyUsage"`
	MultiRegion                    bool    `json:"MultiRegion"`
	Origin                         string  `json:"Origin"`
	Policy                         *string `json:"Policy"`
	Tags                           []tag   `json:"Tags"`
	XksKeyID                       string  `json:"XksKeyId"`
}

var knownSpecs = map[string]bool{
	"SYMMETRIC_DEFAULT": true, "RSA_2048": true, "RSA_3072": true, "RSA_4096": true, "ECC_NIST_P256": true,
	"ECC_NIST_P384": true, "ECC_NIST_P521": true, "ECC_SECG_P256K1": true, "HMAC_224": true, "HMAC_256": true,
	"HMAC_384": true, "HMAC_512": true, "SM2": true, "ML_DSA_44": true, "ML_DSA_65": true, "ML_DSA_87": true,
	"ECC_NIST_EDWARDS25519": true,
}

func (s *Service) createKey(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in createKeyInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	spec := in.KeySpec
	if spec == "" {
		spec = in.CustomerMasterKeySpec
	} else if in.CustomerMasterKeySpec != "" && in.CustomerMasterKeySpec != spec {
		return nil, validation("You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec parameter is deprecated. Use KeySpec parameter instead.")
	}
	if spec == "" {
		spec = specSymmetric
	}
	if !knownSpecs[spec] {
		return nil, validation("1 validation error detected: Value '%s' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set", spec)
	}
	usage := in.KeyUsage
	_, isMAC := macAlgorithms[spec]
	switch {
	case spec != specSymmetric && !isMAC:
		return nil, protocol.NotImplemented("kms", "CreateKey with KeySpec "+spec+" (the sandbox implements SYMMETRIC_DEFAULT and HMAC keys)")
	case usage == "" && isMAC:
		return nil, validation("KeyUsage must be GENERATE_VERIFY_MAC for KeySpec %s", spec)
	case usage == "":
		usage = usageEncrypt
	case spec == specSymmetric && usage != usageEncrypt:
		return nil, validation("KeyUsage %s is not compatible with KeySpec %s", usage, spec)
	case isMAC && usage != usageMAC:
		return nil, validation("KeyUsage %s is not compatible with KeySpec %s", usage, spec)
	}
	origin := in.Origin
	if origin == "" {
		origin = "AWS_KMS"
	}
	if origin != "AWS_KMS" || in.CustomKeyStoreID != "" || in.XksKeyID != "" {
		return nil, protocol.NotImplemented("kms", "CreateKey with Origin "+origin+" or a custom key store")
	}
	desc := ""
	if in.Description != nil {
		desc = *in.Description
		if len(desc) > 8192 {
			return nil, validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192")
		}
	}
	region := s.env.RegionOf(r)
	policy := defaultPolicy(s.env.AccountID)
	if in.Policy != nil {
		if err := checkPolicy(*in.Policy); err != nil {
			return nil, err
		}
		policy = *in.Policy
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	now := s.env.Now().UTC()
	id := newKeyID(in.MultiRegion)
	k := &keyDoc{
		KeyID: id, Region: region, ARN: s.env.ARN("kms", region, "key/"+id), Created: now, Description: desc,
		KeyUsage: usage, KeySpec: spec, Origin: origin, Manager: "CUSTOMER", State: stateEnabled, Policy: policy,
		Tags: mergeTags(nil, in.Tags), MultiRegion: in.MultiRegion, Materials: []material{newMaterial(spec, now)},
	}
	k.Materials[0].Initial = true
	err := s.update(ctx, func(tx *state.Tx) error { return s.save(tx, k) })
	if err != nil {
		return nil, err
	}
	return keyMetadataOutput{s.metadata(k)}, nil
}

// checkPolicy validates a key policy document: JSON, at most 32 KB, with
// statements.
func checkPolicy(p string) error {
	if len(p) > 32768 {
		return validation("1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 32768")
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(p), &doc); err != nil {
		return errorf("MalformedPolicyDocumentException", "The policy is not a valid JSON document: %v", err)
	}
	if _, ok := doc["Statement"]; !ok {
		return errorf("MalformedPolicyDocumentException", "The policy has no Statement.")
	}
	return nil
}

func (s *Service) describeKey(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in keyIDInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var out keyMetadataOutput
	err := s.update(ctx, func(tx *state.Tx) error {
		k, err := s.resolve(tx, s.env.RegionOf(r), in.KeyID, lookup{allowAlias: true, create: true})
		if err != nil {
			return err
		}
		out.KeyMetadata = s.metadata(k)
		return nil
	})
	return out, err
}

// withKey runs fn on the key KeyId names (ID or ARN) inside a write
// transaction and saves it when fn returns save = true.
func (s *Service) withKey(ctx context.Context, r *service.Request, id string, fn func(k *keyDoc) (save bool, err error)) error {
	return s.update(ctx, func(tx *state.Tx) error {
		k, err := s.resolve(tx, s.env.RegionOf(r), id, lookup{})
		if err != nil {
			return err
		}
		save, err := fn(k)
		if err != nil {
			return err
		}
		if save {
			return s.save(tx, k)
		}
		return nil
	})
}

type listInput struct {
	Limit  *int   `json:"Limit"`
	Marker string `json:"Marker"`
	KeyID  string `json:"KeyId"`
}

func limit(l *int, def, max int) (int, error) {
	if l == nil {
		return def, nil
	}
	if *l < 1 || *l > max {
		return 0, validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and %d", *l, max)
	}
	return *l, nil
}

type keyListEntry struct {
	KeyArn string `json:"KeyArn"`
	KeyID  string `json:"KeyId"`
}

type listKeysOutput struct {
	Keys       []keyListEntry `json:"Keys"`
	NextMarker string         `json:"NextMarker,omitempty"`
	Truncated  bool           `json:"Truncated"`
}

func (s *Service) listKeys(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in listInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	n, err := limit(in.Limit, 100, 1000)
	if err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	out := listKeysOutput{Keys: []keyListEntry{}}
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		after := ""
		if in.Marker != "" {
			after = region + "/" + in.Marker
		}
		ents, err := tx.List(state.ListParams{NS: nsKey, Prefix: region + "/", After: after})
		if err != nil {
			return err
		}
		now := s.env.Now()
		for _, e := range ents {
			var k keyDoc
			if err := json.Unmarshal(e.Value, &k); err != nil {
				return err
			}
			if k.State == statePendingDeletion && k.DeletionDate != nil && !now.Before(*k.DeletionDate) {
				continue // deleted; purged on its next write
			}
			if len(out.Keys) == n {
				out.Truncated = true
				out.NextMarker = out.Keys[n-1].KeyID
				break
			}
			out.Keys = append(out.Keys, keyListEntry{KeyArn: k.ARN, KeyID: k.KeyID})
		}
		return nil
	})
	return out, err
}

func (s *Service) enableKey(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in keyIDInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return struct{}{}, s.withKey(ctx, r, in.KeyID, func(k *keyDoc) (bool, error) {
		if err := notPending(k); err != nil {
			return false, err
		}
		k.State = stateEnabled
		return true, nil
	})
}

func (s *Service) disableKey(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in keyIDInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return struct{}{}, s.withKey(ctx, r, in.KeyID, func(k *keyDoc) (bool, error) {
		if err := notPending(k); err != nil {
			return false, err
		}
		if k.Manager == "AWS" {
			return false, errorf("UnsupportedOperationException", "%s is an AWS managed key and cannot be disabled.", k.ARN)
		}
		k.State = stateDisabled
		return true, nil
	})
}

type scheduleInput struct {
	KeyID               string `json:"KeyId"`
	PendingWindowInDays *int   `json:"PendingWindowInDays"`
}

type scheduleOutput struct {
	DeletionDate        *epoch `json:"DeletionDate"`
	KeyID               string `json:"KeyId"`
	KeyState            string `json:"KeyState"`
	PendingWindowInDays int    `json:"PendingWindowInDays"`
}

func (s *Service) scheduleKeyDeletion(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in scheduleInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	days := 30
	if in.PendingWindowInDays != nil {
		days = *in.PendingWindowInDays
		if days < 7 || days > 30 {
			return nil, validation("1 validation error detected: Value '%d' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 30 and greater than or equal to 7", days)
		}
	}
	var out scheduleOutput
	err := s.withKey(ctx, r, in.KeyID, func(k *keyDoc) (bool, error) {
		if err := notPending(k); err != nil {
			return false, err
		}
		if k.Manager == "AWS" {
			return false, errorf("UnsupportedOperationException", "%s is an AWS managed key and cannot be deleted.", k.ARN)
		}
		when := s.env.Now().UTC().Add(time.Duration(days) * 24 * time.Hour)
		k.State, k.DeletionDate, k.PendingDays = statePendingDeletion, &when, days
		out = scheduleOutput{DeletionDate: ep(when), KeyID: k.ARN, KeyState: k.State, PendingWindowInDays: days}
		return true, nil
	})
	return out, err
}

func (s *Service) cancelKeyDeletion(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in keyIDInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var arn string
	err := s.withKey(ctx, r, in.KeyID, func(k *keyDoc) (bool, error) {
		if k.State != statePendingDeletion {
			return false, invalidState("%s is not pending deletion.", k.ARN)
		}
		// A key whose deletion is cancelled comes back disabled.
		k.State, k.DeletionDate, k.PendingDays = stateDisabled, nil, 0
		arn = k.ARN
		return true, nil
	})
	return map[string]string{"KeyId": arn}, err
}

type descriptionInput struct {
	KeyID       string  `json:"KeyId"`
	Description *string `json:"Description"`
}

func (s *Service) updateKeyDescription(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in descriptionInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Description == nil {
		return nil, validation("1 validation error detected: Value null at 'description' failed to satisfy constraint: Member must not be null")
	}
	if len(*in.Description) > 8192 {
		return nil, validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192")
	}
	return struct{}{}, s.withKey(ctx, r, in.KeyID, func(k *keyDoc) (bool, error) {
		if err := notPending(k); err != nil {
			return false, err
		}
		k.Description = *in.Description
		return true, nil
	})
}

type policyInput struct {
	KeyID                          string  `json:"KeyId"`
	PolicyName                     *string `json:"PolicyName"`
	Policy                         *string `json:"Policy"`
	BypassPolicyLockoutSafetyCheck bool    `json:"BypassPolicyLockoutSafetyCheck"`
}

func policyName(p *string) (string, error) {
	if p == nil || *p == "default" {
		return "default", nil
	}
	return "", notFound("No such policy exists: %s. The only valid value is default.", *p)
}

func (s *Service) getKeyPolicy(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in policyInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	name, err := policyName(in.PolicyName)
	if err != nil {
		return nil, err
	}
	var policy string
	err = s.withKey(ctx, r, in.KeyID, func(k *keyDoc) (bool, error) {
		policy = k.Policy
		return false, nil
	})
	return map[string]string{"Policy": policy, "PolicyName": name}, err
}

func (s *Service) putKeyPolicy(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in policyInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if _, err := policyName(in.PolicyName); err != nil {
		return nil, err
	}
	if in.Policy == nil {
		return nil, validation("1 validation error detected: Value null at 'policy' failed to satisfy constraint: Member must not be null")
	}
	if err := checkPolicy(*in.Policy); err != nil {
		return nil, err
	}
	return struct{}{}, s.withKey(ctx, r, in.KeyID, func(k *keyDoc) (bool, error) {
		if err := notPending(k); err != nil {
			return false, err
		}
		if k.Manager == "AWS" {
			return false, errorf("UnsupportedOperationException", "The key policy of AWS managed key %s cannot be changed.", k.ARN)
		}
		k.Policy = *in.Policy
		return true, nil
	})
}

func (s *Service) listKeyPolicies(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in listInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	err := s.withKey(ctx, r, in.KeyID, func(k *keyDoc) (bool, error) { return false, nil })
	return map[string]any{"PolicyNames": []string{"default"}, "Truncated": false}, err
}

type rotationInput struct {
	KeyID                string `json:"KeyId"`
	RotationPeriodInDays *int   `json:"RotationPeriodInDays"`
}

// rotatable fails unless the key supports automatic rotation.
func rotatable(k *keyDoc) error {
	if err := notPending(k); err != nil {
		return err
	}
	if k.State == stateDisabled {
		return errorf("DisabledException", "%s is disabled.", k.ARN)
	}
	if k.KeySpec != specSymmetric || k.Origin != "AWS_KMS" {
		return errorf("UnsupportedOperationException", "%s key rotation is only supported for symmetric encryption keys with AWS_KMS origin.", k.ARN)
	}
	return nil
}

func (s *Service) enableKeyRotation(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in rotationInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	days := 365
	if in.RotationPeriodInDays != nil {
		days = *in.RotationPeriodInDays
		if days < 90 || days > 2560 {
			return nil, validation("1 validation error detected: Value '%d' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value between 90 and 2560", days)
		}
	}
	return struct{}{}, s.withKey(ctx, r, in.KeyID, func(k *keyDoc) (bool, error) {
		if err := rotatable(k); err != nil {
			return false, err
		}
		if k.Manager == "AWS" {
			return false, errorf("UnsupportedOperationException", "%s is an AWS managed key; its rotation cannot be changed.", k.ARN)
		}
		if !k.Rotation || k.RotationDays != days {
			next := s.env.Now().UTC().Add(time.Duration(days) * 24 * time.Hour)
			k.NextRotation = &next
		}
		k.Rotation, k.RotationDays = true, days
		return true, nil
	})
}

func (s *Service) disableKeyRotation(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in keyIDInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return struct{}{}, s.withKey(ctx, r, in.KeyID, func(k *keyDoc) (bool, error) {
		if err := rotatable(k); err != nil {
			return false, err
		}
		if k.Manager == "AWS" {
			return false, errorf("UnsupportedOperationException", "%s is an AWS managed key; its rotation cannot be changed.", k.ARN)
		}
		k.Rotation, k.RotationDays, k.NextRotation = false, 0, nil
		return true, nil
	})
}

type rotationStatusOutput struct {
	KeyID                string `json:"KeyId"`
	KeyRotationEnabled   bool   `json:"KeyRotationEnabled"`
	NextRotationDate     *epoch `json:"NextRotationDate,omitempty"`
	RotationPeriodInDays *int   `json:"RotationPeriodInDays,omitempty"`
}

func (s *Service) getKeyRotationStatus(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in keyIDInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var out rotationStatusOutput
	err := s.withKey(ctx, r, in.KeyID, func(k *keyDoc) (bool, error) {
		// Keys that cannot rotate (HMAC) simply report rotation off, which
		// the Terraform provider relies on when it reads any AWS_KMS key.
		out.KeyID = k.ARN
		// While a key is pending deletion its rotation status reads false;
		// cancelling the deletion brings the old status back.
		if k.Rotation && k.State != statePendingDeletion {
			days := k.RotationDays
			out.KeyRotationEnabled, out.RotationPeriodInDays = true, &days
			if k.NextRotation != nil {
				out.NextRotationDate = ep(*k.NextRotation)
			}
		}
		return false, nil
	})
	return out, err
}

func (s *Service) rotateKeyOnDemand(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in keyIDInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var arn string
	err := s.withKey(ctx, r, in.KeyID, func(k *keyDoc) (bool, error) {
		if err := rotatable(k); err != nil {
			return false, err
		}
		m := newMaterial(k.KeySpec, s.env.Now())
		m.OnDemand = true
		k.Materials = append(k.Materials, m)
		arn = k.ARN
		return true, nil
	})
	return map[string]string{"KeyId": arn}, err
}

type rotationEntry struct {
	KeyID        string `json:"KeyId"`
	RotationDate *epoch `json:"RotationDate"`
	RotationType string `json:"RotationType"`
}

func (s *Service) listKeyRotations(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in listInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	n, err := limit(in.Limit, 100, 1000)
	if err != nil {
		return nil, err
	}
	var all []rotationEntry
	err = s.withKey(ctx, r, in.KeyID, func(k *keyDoc) (bool, error) {
		if k.KeySpec != specSymmetric {
			return false, errorf("UnsupportedOperationException", "%s key rotation is only supported for symmetric encryption keys.", k.ARN)
		}
		for _, m := range k.Materials {
			if m.Initial {
				continue
			}
			typ := "AUTOMATIC"
			if m.OnDemand {
				typ = "ON_DEMAND"
			}
			all = append(all, rotationEntry{KeyID: k.ARN, RotationDate: ep(m.Created), RotationType: typ})
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(len(all), in.Marker, n)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"Rotations": nonNilRotations(all[page[0]:page[1]]), "Truncated": next != ""}
	if next != "" {
		out["NextMarker"] = next
	}
	return out, nil
}

func nonNilRotations(r []rotationEntry) []rotationEntry {
	if r == nil {
		return []rotationEntry{}
	}
	return r
}

// paginate pages a list of n entries with an opaque numeric marker.
func paginate(n int, marker string, limit int) (page [2]int, next string, err error) {
	start := 0
	if marker != "" {
		start, err = strconv.Atoi(marker)
		if err != nil || start < 0 || start > n {
			return page, "", errorf("InvalidMarkerException", "The marker %q is not valid.", marker)
		}
	}
	end := min(start+limit, n)
	if end < n {
		next = strconv.Itoa(end)
	}
	return [2]int{start, end}, next, nil
}

// Tags.

type tagInput struct {
	KeyID   string   `json:"KeyId"`
	Tags    []tag    `json:"Tags"`
	TagKeys []string `json:"TagKeys"`
}

func checkTags(tags []tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		switch {
		case t.TagKey == "" || len(t.TagKey) > 128:
			return errorf("TagException", "Tag keys must be between 1 and 128 characters long.")
		case len(t.TagValue) > 256:
			return errorf("TagException", "Tag values must be at most 256 characters long.")
		case strings.HasPrefix(t.TagKey, "aws:"):
			return errorf("TagException", "Tags beginning with aws: are reserved.")
		case seen[t.TagKey]:
			return errorf("TagException", "Duplicate tag keys: %s", t.TagKey)
		}
		seen[t.TagKey] = true
	}
	return nil
}

// mergeTags sets tags over old, keeping keys sorted.
func mergeTags(old, set []tag) []tag {
	m := map[string]string{}
	for _, t := range old {
		m[t.TagKey] = t.TagValue
	}
	for _, t := range set {
		m[t.TagKey] = t.TagValue
	}
	out := make([]tag, 0, len(m))
	for k, v := range m {
		out = append(out, tag{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TagKey < out[j].TagKey })
	return out
}

func (s *Service) tagResource(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in tagInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	return struct{}{}, s.withKey(ctx, r, in.KeyID, func(k *keyDoc) (bool, error) {
		if err := notPending(k); err != nil {
			return false, err
		}
		merged := mergeTags(k.Tags, in.Tags)
		if len(merged) > 50 {
			return false, errorf("LimitExceededException", "A KMS key can have at most 50 tags.")
		}
		k.Tags = merged
		return true, nil
	})
}

func (s *Service) untagResource(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in tagInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return struct{}{}, s.withKey(ctx, r, in.KeyID, func(k *keyDoc) (bool, error) {
		if err := notPending(k); err != nil {
			return false, err
		}
		drop := map[string]bool{}
		for _, key := range in.TagKeys {
			drop[key] = true
		}
		kept := k.Tags[:0]
		for _, t := range k.Tags {
			if !drop[t.TagKey] {
				kept = append(kept, t)
			}
		}
		k.Tags = kept
		return true, nil
	})
}

func (s *Service) listResourceTags(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in listInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	n, err := limit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	var tags []tag
	err = s.withKey(ctx, r, in.KeyID, func(k *keyDoc) (bool, error) {
		tags = append([]tag{}, k.Tags...)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(len(tags), in.Marker, n)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"Tags": tags[page[0]:page[1]], "Truncated": next != ""}
	if next != "" {
		out["NextMarker"] = next
	}
	return out, nil
}
