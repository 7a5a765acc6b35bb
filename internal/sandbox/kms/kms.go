package kms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// TargetPrefix is KMS's X-Amz-Target prefix (JSON 1.1).
const TargetPrefix = "TrentService"

// State namespaces. Keys are "<region>/<key id>" and "<region>/<alias
// name>": KMS keys and aliases live in one region.
const (
	nsKey   = "kms/key"   // region/keyID → keyDoc
	nsAlias = "kms/alias" // region/alias/name → aliasDoc
)

// Service is the sandbox's KMS.
type Service struct {
	*service.JSON
	env service.Env
}

// New builds the KMS service.
func New(env service.Env) *Service {
	s := &Service{env: env}
	s.JSON = &service.JSON{ServiceName: "kms", Version: "1.1", Prefixes: []string{TargetPrefix}, Logger: env.Logger, Ops: s.ops()}
	return s
}

func (s *Service) ops() map[string]service.JSONOp {
	return map[string]service.JSONOp{
		"CreateKey":                       s.createKey,
		"DescribeKey":                     s.describeKey,
		"ListKeys":                        s.listKeys,
		"EnableKey":                       s.enableKey,
		"DisableKey":                      s.disableKey,
		"ScheduleKeyDeletion":             s.scheduleKeyDeletion,
		"CancelKeyDeletion":               s.cancelKeyDeletion,
		"UpdateKeyDescription":            s.updateKeyDescription,
		"GetKeyPolicy":                    s.getKeyPolicy,
		"PutKeyPolicy":                    s.putKeyPolicy,
		"ListKeyPolicies":                 s.listKeyPolicies,
		"EnableKeyRotation":               s.enableKeyRotation,
		"DisableKeyRotation":              s.disableKeyRotation,
		"GetKeyRotationStatus":            s.getKeyRotationStatus,
		"RotateKeyOnDemand":               s.rotateKeyOnDemand,
		"ListKeyRotations":                s.listKeyRotations,
		"TagResource":                     s.tagResource,
		"UntagResource":                   s.untagResource,
		"ListResourceTags":                s.listResourceTags,
		"CreateAlias":                     s.createAlias,
		"UpdateAlias":                     s.updateAlias,
		"DeleteAlias":                     s.deleteAlias,
		"ListAliases":                     s.listAliases,
		"Encrypt":                         s.encrypt,
		"Decrypt":                         s.decrypt,
		"ReEncrypt":                       s.reEncrypt,
		"GenerateDataKey":                 s.generateDataKey,
		"GenerateDataKeyWithoutPlaintext": s.generateDataKeyWithoutPlaintext,
		"GenerateRandom":                  s.generateRandom,
		"GenerateMac":                     s.generateMac,
		"VerifyMac":                       s.verifyMac,
	}
}

// Errors, with KMS's codes (all 400 except where noted).
func notFound(format string, args ...any) error {
	return protocol.Errorf(http.StatusBadRequest, "NotFoundException", format, args...)
}

func invalidState(format string, args ...any) error {
	return protocol.Errorf(http.StatusBadRequest, "KMSInvalidStateException", format, args...)
}

func validation(format string, args ...any) error {
	return protocol.Errorf(http.StatusBadRequest, "ValidationException", format, args...)
}

func errorf(code, format string, args ...any) error {
	return protocol.Errorf(http.StatusBadRequest, code, format, args...)
}

// epoch is a timestamp in the JSON protocols' form: seconds since the
// epoch, as a number.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

func ep(t time.Time) *epoch {
	e := epoch(t)
	return &e
}

// tag is one KMS tag.
type tag struct {
	TagKey   string `json:"TagKey"`
	TagValue string `json:"TagValue"`
}

// material is one generation of a key's secret: rotation adds one,
// decryption finds the one a ciphertext names.
type material struct {
	ID       string    `json:"id"` // 32 hex digits, embedded in ciphertexts
	Secret   []byte    `json:"secret"`
	Created  time.Time `json:"created"`
	OnDemand bool      `json:"on_demand,omitempty"`
	Initial  bool      `json:"initial,omitempty"`
}

// keyDoc is a KMS key as stored. The key material is kept in the sandbox's
// state file in the clear: the sandbox is a test double, not a vault.
type keyDoc struct {
	KeyID        string     `json:"key_id"`
	Region       string     `json:"region"`
	ARN          string     `json:"arn"`
	Created      time.Time  `json:"created"`
	Description  string     `json:"description"`
	KeyUsage     string     `json:"key_usage"`
	KeySpec      string     `json:"key_spec"`
	Origin       string     `json:"origin"`
	Manager      string     `json:"manager"` // CUSTOMER or AWS
	State        string     `json:"state"`   // Enabled, Disabled, PendingDeletion
	DeletionDate *time.Time `json:"deletion_date,omitempty"`
	PendingDays  int        `json:"pending_days,omitempty"`
	Policy       string     `json:"policy"`
	Tags         []tag      `json:"tags,omitempty"`
	MultiRegion  bool       `json:"multi_region,omitempty"`
	Rotation     bool       `json:"rotation,omitempty"`
	RotationDays int        `json:"rotation_days,omitempty"`
	NextRotation *time.Time `json:"next_rotation,omitempty"`
	Materials    []material `json:"materials"`
}

func (k *keyDoc) current() material { return k.Materials[len(k.Materials)-1] }

func (k *keyDoc) materialByID(id string) (material, bool) {
	for _, m := range k.Materials {
		if m.ID == id {
			return m, true
		}
	}
	return material{}, false
}

// aliasDoc is a KMS alias as stored.
type aliasDoc struct {
	Name    string    `json:"name"`
	Region  string    `json:"region"`
	KeyID   string    `json:"key_id"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

func (s *Service) aliasARN(region, name string) string {
	return s.env.ARN("kms", region, name)
}

// metadata is DescribeKey's KeyMetadata.
type metadata struct {
	AWSAccountID             string    `json:"AWSAccountId"`
	Arn                      string    `json:"Arn"`
	CreationDate             *epoch    `json:"CreationDate"`
	CustomerMasterKeySpec    string    `json:"CustomerMasterKeySpec"`
	DeletionDate             *epoch    `json:"DeletionDate,omitempty"`
	Description              string    `json:"Description"`
	Enabled                  bool      `json:"Enabled"`
	EncryptionAlgorithms     []string  `json:"EncryptionAlgorithms,omitempty"`
	MacAlgorithms            []string  `json:"MacAlgorithms,omitempty"`
	KeyID                    string    `json:"KeyId"`
	KeyManager               string    `json:"KeyManager"`
	KeySpec                  string    `json:"KeySpec"`
	KeyState                 string    `json:"KeyState"`
	KeyUsage                 string    `json:"KeyUsage"`
	MultiRegion              bool      `json:"MultiRegion"`
	MultiRegionConfiguration *mrConfig `json:"MultiRegionConfiguration,omitempty"`
	Origin                   string    `json:"Origin"`
}

type mrConfig struct {
	MultiRegionKeyType string  `json:"MultiRegionKeyType"`
	PrimaryKey         mrKey   `json:"PrimaryKey"`
	ReplicaKeys        []mrKey `json:"ReplicaKeys"`
}

type mrKey struct {
	Arn    string `json:"Arn"`
	Region string `json:"Region"`
}

func (s *Service) metadata(k *keyDoc) metadata {
	m := metadata{
		AWSAccountID: s.env.AccountID, Arn: k.ARN, CreationDate: ep(k.Created), CustomerMasterKeySpec: k.KeySpec,
		Description: k.Description, Enabled: k.State == stateEnabled, KeyID: k.KeyID, KeyManager: k.Manager,
		KeySpec: k.KeySpec, KeyState: k.State, KeyUsage: k.KeyUsage, MultiRegion: k.MultiRegion, Origin: k.Origin,
	}
	if k.DeletionDate != nil {
		m.DeletionDate = ep(*k.DeletionDate)
	}
	if k.KeySpec == specSymmetric {
		m.EncryptionAlgorithms = []string{algSymmetric}
	} else if alg, ok := macAlgorithms[k.KeySpec]; ok {
		m.MacAlgorithms = []string{alg}
	}
	if k.MultiRegion {
		m.MultiRegionConfiguration = &mrConfig{MultiRegionKeyType: "PRIMARY", PrimaryKey: mrKey{Arn: k.ARN, Region: k.Region}, ReplicaKeys: []mrKey{}}
	}
	return m
}

// Key states, specs, usages and algorithms.
const (
	stateEnabled         = "Enabled"
	stateDisabled        = "Disabled"
	statePendingDeletion = "PendingDeletion"

	specSymmetric = "SYMMETRIC_DEFAULT"
	algSymmetric  = "SYMMETRIC_DEFAULT"

	usageEncrypt = "ENCRYPT_DECRYPT"
	usageMAC     = "GENERATE_VERIFY_MAC"
)

var macAlgorithms = map[string]string{
	"HMAC_224": "HMAC_SHA_224", "HMAC_256": "HMAC_SHA_256", "HMAC_384": "HMAC_SHA_384", "HMAC_512": "HMAC_SHA_512",
}

// macKeyBytes is the secret length of each HMAC key spec.
var macKeyBytes = map[string]int{"HMAC_224": 28, "HMAC_256": 32, "HMAC_384": 48, "HMAC_512": 64}

func newMaterial(spec string, now time.Time) material {
	n := 32
	if b, ok := macKeyBytes[spec]; ok {
		n = b
	}
	secret := make([]byte, n)
	_, _ = rand.Read(secret)
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return material{ID: hex.EncodeToString(id), Secret: secret, Created: now.UTC()}
}

func newKeyID(multiRegion bool) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	if multiRegion {
		return "mrk-" + hex.EncodeToString(b)
	}
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

var (
	keyIDPattern     = regexp.MustCompile(`^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)
	aliasNamePattern = regexp.MustCompile(`^alias/[a-zA-Z0-9/_-]+$`)
)

// decode unmarshals an input, answering malformed JSON the way KMS does.
func decode(in []byte, v any) error {
	if err := json.Unmarshal(in, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return protocol.Errorf(http.StatusBadRequest, "SerializationException", "cannot parse request: field %s: %v", te.Field, err)
		}
		return protocol.Errorf(http.StatusBadRequest, "SerializationException", "cannot parse request: %v", err)
	}
	return nil
}

// lookup is how a key was named in a request.
type lookup struct {
	allowAlias bool // alias names and alias ARNs accepted
	create     bool // alias/aws/<service> creates the AWS managed key
}

// resolve finds the key a KeyId parameter names: key ID, key ARN, and when
// allowed alias name or alias ARN. Keys whose deletion date passed are
// deleted on the way (with their aliases).
func (s *Service) resolve(tx *state.Tx, region, id string, l lookup) (*keyDoc, error) {
	if id == "" {
		return nil, validation("1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null")
	}
	if len(id) > 2048 {
		return nil, validation("1 validation error detected: Value at 'keyId' failed to satisfy constraint: Member must have length less than or equal to 2048")
	}
	name := id
	if strings.HasPrefix(id, "arn:") {
		parts := strings.SplitN(id, ":", 6)
		if len(parts) != 6 || parts[2] != "kms" || !strings.HasPrefix(parts[5], "key/") && !strings.HasPrefix(parts[5], "alias/") {
			return nil, notFound("Invalid arn %s", id)
		}
		if parts[3] != region || parts[4] != s.env.AccountID {
			return nil, notFound("Key '%s' does not exist", id)
		}
		name = strings.TrimPrefix(parts[5], "key/")
	}
	if strings.HasPrefix(name, "alias/") {
		if !l.allowAlias {
			return nil, notFound("Invalid keyId '%s'", id)
		}
		var a aliasDoc
		err := tx.Get(nsAlias, region+"/"+name, &a)
		if service.IsNotFound(err) && l.create && strings.HasPrefix(name, "alias/aws/") {
			return s.createManagedKey(tx, region, name)
		}
		if service.IsNotFound(err) {
			return nil, notFound("Alias %s is not found.", s.aliasARN(region, name))
		}
		if err != nil {
			return nil, err
		}
		name = a.KeyID
	}
	if !keyIDPattern.MatchString(name) {
		return nil, notFound("Invalid keyId '%s'", id)
	}
	k, err := s.load(tx, region, name)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return nil, notFound("Key '%s' does not exist", s.env.ARN("kms", region, "key/"+name))
	}
	return k, nil
}

// load reads a key, applying what time did to it: a passed deletion date
// deletes it (nil, nil), passed rotation dates rotate it.
func (s *Service) load(tx *state.Tx, region, keyID string) (*keyDoc, error) {
	var k keyDoc
	err := tx.Get(nsKey, region+"/"+keyID, &k)
	if service.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := s.env.Now()
	if k.State == statePendingDeletion && k.DeletionDate != nil && !now.Before(*k.DeletionDate) {
		if err := s.purge(tx, &k); err != nil {
			return nil, err
		}
		return nil, nil
	}
	if k.Rotation && k.NextRotation != nil && !now.Before(*k.NextRotation) && k.State != statePendingDeletion {
		for i := 0; i < 1000 && k.NextRotation != nil && !now.Before(*k.NextRotation); i++ {
			m := newMaterial(k.KeySpec, *k.NextRotation)
			k.Materials = append(k.Materials, m)
			next := k.NextRotation.Add(time.Duration(k.RotationDays) * 24 * time.Hour)
			k.NextRotation = &next
		}
		if err := s.save(tx, &k); err != nil {
			return nil, err
		}
	}
	return &k, nil
}

func (s *Service) save(tx *state.Tx, k *keyDoc) error {
	return tx.Put(nsKey, k.Region+"/"+k.KeyID, k)
}

// purge deletes a key whose waiting period ended, and its aliases.
func (s *Service) purge(tx *state.Tx, k *keyDoc) error {
	aliases, err := tx.List(state.ListParams{NS: nsAlias, Prefix: k.Region + "/"})
	if err != nil {
		return err
	}
	for _, e := range aliases {
		var a aliasDoc
		if json.Unmarshal(e.Value, &a) == nil && a.KeyID == k.KeyID {
			if err := tx.Delete(nsAlias, e.Key); err != nil {
				return err
			}
		}
	}
	return tx.Delete(nsKey, k.Region+"/"+k.KeyID)
}

// usable fails unless the key can be used for a cryptographic operation.
func usable(k *keyDoc) error {
	switch k.State {
	case stateDisabled:
		return errorf("DisabledException", "%s is disabled.", k.ARN)
	case statePendingDeletion:
		return invalidState("%s is pending deletion.", k.ARN)
	}
	return nil
}

// notPending fails for keys pending deletion (most management operations).
func notPending(k *keyDoc) error {
	if k.State == statePendingDeletion {
		return invalidState("%s is pending deletion.", k.ARN)
	}
	return nil
}

// update runs fn in a write transaction in the request's region.
func (s *Service) update(ctx context.Context, fn func(tx *state.Tx) error) error {
	return s.env.State.Update(ctx, fn)
}

// defaultPolicy is the key policy AWS gives a key created without one.
func defaultPolicy(accountID string) string {
	return fmt.Sprintf(`{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::%s:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}`, accountID)
}

// managedPolicy is the key policy of an AWS managed key (alias/aws/<svc>).
func managedPolicy(accountID, region, svc string) string {
	return fmt.Sprintf(`{
  "Version" : "2012-10-17",
  "Id" : "auto-%[3]s",
  "Statement" : [ {
    "Sid" : "Allow access through %[3]s for all principals in the account that are authorized to use %[3]s",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "*"
    },
    "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey" ],
    "Resource" : "*",
    "Condition" : {
      "StringEquals" : {
        "kms:CallerAccount" : "%[1]s",
        "kms:ViaService" : "%[3]s.%[2]s.amazonaws.com"
      }
    }
  }, {
    "Sid" : "Allow direct access to key metadata to the account",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::%[1]s:root"
    },
    "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant" ],
    "Resource" : "*"
  } ]
}`, accountID, region, svc)
}

// createManagedKey creates the AWS managed key behind alias/aws/<svc>, as
// KMS does the first time a service (or DescribeKey) asks for it.
func (s *Service) createManagedKey(tx *state.Tx, region, aliasName string) (*keyDoc, error) {
	svc := strings.TrimPrefix(aliasName, "alias/aws/")
	if svc == "" || strings.Contains(svc, "/") {
		return nil, notFound("Alias %s is not found.", s.aliasARN(region, aliasName))
	}
	now := s.env.Now().UTC()
	id := newKeyID(false)
	next := now.Add(365 * 24 * time.Hour)
	k := &keyDoc{
		KeyID: id, Region: region, ARN: s.env.ARN("kms", region, "key/"+id), Created: now,
		Description: "Default key that protects my " + svc + " data when no other key is defined",
		KeyUsage:    usageEncrypt, KeySpec: specSymmetric, Origin: "AWS_KMS", Manager: "AWS", State: stateEnabled,
		Policy: managedPolicy(s.env.AccountID, region, svc), Rotation: true, RotationDays: 365, NextRotation: &next,
		Materials: []material{newMaterial(specSymmetric, now)},
	}
	k.Materials[0].Initial = true
	if err := s.save(tx, k); err != nil {
		return nil, err
	}
	a := aliasDoc{Name: aliasName, Region: region, KeyID: id, Created: now, Updated: now}
	if err := tx.Put(nsAlias, region+"/"+aliasName, a); err != nil {
		return nil, err
	}
	return k, nil
}

// KeyARN resolves a key ID, key ARN, alias name or alias ARN in region to
// the key's ARN, for services that take a KMS key (DynamoDB SSE). A
// missing key is a NotFoundException; a key pending deletion a
// KMSInvalidStateException.
func KeyARN(tx *state.Tx, env service.Env, region, id string) (string, error) {
	s := &Service{env: env}
	k, err := s.resolve(tx, region, id, lookup{allowAlias: true})
	if err != nil {
		return "", err
	}
	if err := notPending(k); err != nil {
		return "", err
	}
	return k.ARN, nil
}

// ManagedKeyARN is the ARN of the AWS managed key alias/aws/<svc> in region,
// created on first use.
func ManagedKeyARN(tx *state.Tx, env service.Env, region, svc string) (string, error) {
	s := &Service{env: env}
	k, err := s.resolve(tx, region, "alias/aws/"+svc, lookup{allowAlias: true, create: true})
	if err != nil {
		return "", err
	}
	return k.ARN, nil
}
