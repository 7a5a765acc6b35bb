package kms

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"net/http"
	"sort"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// A ciphertext blob is
//
//	"vkms" | version 1 | len(key id) | key id | material id (16 bytes) | nonce (12) | AES-256-GCM sealed data
//
// sealed with the header and the canonical encryption context as
// additional data, so that Decrypt needs no KeyId and a changed context or
// header fails authentication.
var blobMagic = []byte("vkms")

const (
	blobVersion  = 1
	materialSize = 16
	nonceSize    = 12
)

type blob struct {
	keyID, materialID string
	header, nonce     []byte
	sealed            []byte
}

func parseBlob(b []byte) (blob, bool) {
	if len(b) < len(blobMagic)+2 || !bytes.Equal(b[:len(blobMagic)], blobMagic) || b[4] != blobVersion {
		return blob{}, false
	}
	n := int(b[5])
	rest := b[6:]
	if n == 0 || len(rest) < n+materialSize+nonceSize+16 {
		return blob{}, false
	}
	out := blob{keyID: string(rest[:n]), materialID: hex.EncodeToString(rest[n : n+materialSize])}
	hdrLen := 6 + n + materialSize
	out.header = b[:hdrLen]
	out.nonce = b[hdrLen : hdrLen+nonceSize]
	out.sealed = b[hdrLen+nonceSize:]
	return out, true
}

// contextAAD serialises an encryption context canonically (sorted, length
// prefixed) for use as additional authenticated data.
func contextAAD(header []byte, ec map[string]string) []byte {
	keys := make([]string, 0, len(ec))
	for k := range ec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.Write(header)
	var n [4]byte
	for _, k := range keys {
		for _, s := range []string{k, ec[k]} {
			binary.BigEndian.PutUint32(n[:], uint32(len(s)))
			b.Write(n[:])
			b.WriteString(s)
		}
	}
	return b.Bytes()
}

func seal(k *keyDoc, plaintext []byte, ec map[string]string) ([]byte, error) {
	m := k.current()
	mid, _ := hex.DecodeString(m.ID)
	var b bytes.Buffer
	b.Write(blobMagic)
	b.WriteByte(blobVersion)
	b.WriteByte(byte(len(k.KeyID)))
	b.WriteString(k.KeyID)
	b.Write(mid)
	header := append([]byte(nil), b.Bytes()...)
	nonce := make([]byte, nonceSize)
	_, _ = rand.Read(nonce)
	b.Write(nonce)
	gcm, err := newGCM(m.Secret)
	if err != nil {
		return nil, err
	}
	return gcm.Seal(b.Bytes(), nonce, plaintext, contextAAD(header, ec)), nil
}

func newGCM(secret []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(secret)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func invalidCiphertext() error {
	return protocol.Errorf(http.StatusBadRequest, "InvalidCiphertextException", "")
}

func checkAlgorithm(alg string) error {
	if alg != "" && alg != algSymmetric {
		return errorf("InvalidKeyUsageException", "The encryption algorithm %s is not compatible with a symmetric encryption KMS key.", alg)
	}
	return nil
}

func checkContext(ec map[string]string) error {
	for k := range ec {
		if k == "" {
			return validation("Encryption context keys must not be empty.")
		}
	}
	return nil
}

// encryptionKey resolves a key usable for symmetric encryption.
func (s *Service) encryptionKey(tx *state.Tx, r *service.Request, id string) (*keyDoc, error) {
	k, err := s.resolve(tx, s.env.RegionOf(r), id, lookup{allowAlias: true, create: true})
	if err != nil {
		return nil, err
	}
	if err := usable(k); err != nil {
		return nil, err
	}
	if k.KeyUsage != usageEncrypt {
		return nil, errorf("InvalidKeyUsageException", "%s key usage is %s which is not valid for this operation.", k.ARN, k.KeyUsage)
	}
	return k, nil
}

// open decrypts a blob; keyID, when set, must name the key the blob was
// made with.
func (s *Service) open(tx *state.Tx, r *service.Request, ciphertext []byte, keyID string, ec map[string]string) (*keyDoc, []byte, error) {
	if len(ciphertext) == 0 || len(ciphertext) > 6144 {
		return nil, nil, validation("1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length between 1 and 6144")
	}
	b, ok := parseBlob(ciphertext)
	if !ok {
		return nil, nil, invalidCiphertext()
	}
	region := s.env.RegionOf(r)
	if keyID != "" {
		want, err := s.resolve(tx, region, keyID, lookup{allowAlias: true})
		if err != nil {
			return nil, nil, err
		}
		if want.KeyID != b.keyID {
			return nil, nil, errorf("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")
		}
	}
	k, err := s.load(tx, region, b.keyID)
	if err != nil {
		return nil, nil, err
	}
	if k == nil {
		return nil, nil, invalidCiphertext()
	}
	if err := usable(k); err != nil {
		return nil, nil, err
	}
	if k.KeyUsage != usageEncrypt {
		return nil, nil, errorf("InvalidKeyUsageException", "%s key usage is %s which is not valid for this operation.", k.ARN, k.KeyUsage)
	}
	m, ok := k.materialByID(b.materialID)
	if !ok {
		return nil, nil, invalidCiphertext()
	}
	gcm, err := newGCM(m.Secret)
	if err != nil {
		return nil, nil, err
	}
	plain, err := gcm.Open(nil, b.nonce, b.sealed, contextAAD(b.header, ec))
	if err != nil {
		return nil, nil, invalidCiphertext()
	}
	return k, plain, nil
}

// dryRun is KMS's answer to a request with DryRun set that would succeed.
func dryRun() error {
	return protocol.Errorf(http.StatusPreconditionFailed, "DryRunOperationException", "The request would have succeeded, but the DryRun option is set.")
}

type encryptInput struct {
	KeyID               string            `json:"KeyId"`
	Plaintext           []byte            `json:"Plaintext"`
	EncryptionContext   map[string]string `json:"EncryptionContext"`
	EncryptionAlgorithm string            `json:"EncryptionAlgorithm"`
	DryRun              bool              `json:"DryRun"`
}

type encryptOutput struct {
	CiphertextBlob      []byte `json:"CiphertextBlob"`
	KeyID               string `json:"KeyId"`
	EncryptionAlgorithm string `json:"EncryptionAlgorithm"`
}

func (s *Service) encrypt(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in encryptInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.Plaintext) == 0 || len(in.Plaintext) > 4096 {
		return nil, validation("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and 4096")
	}
	if err := checkAlgorithm(in.EncryptionAlgorithm); err != nil {
		return nil, err
	}
	if err := checkContext(in.EncryptionContext); err != nil {
		return nil, err
	}
	var out encryptOutput
	err := s.update(ctx, func(tx *state.Tx) error {
		k, err := s.encryptionKey(tx, r, in.KeyID)
		if err != nil {
			return err
		}
		if in.DryRun {
			return dryRun()
		}
		ct, err := seal(k, in.Plaintext, in.EncryptionContext)
		if err != nil {
			return err
		}
		out = encryptOutput{CiphertextBlob: ct, KeyID: k.ARN, EncryptionAlgorithm: algSymmetric}
		return nil
	})
	return out, err
}

type decryptInput struct {
	CiphertextBlob      []byte            `json:"CiphertextBlob"`
	KeyID               string            `json:"KeyId"`
	EncryptionContext   map[string]string `json:"EncryptionContext"`
	EncryptionAlgorithm string            `json:"EncryptionAlgorithm"`
	DryRun              bool              `json:"DryRun"`
	Recipient           any               `json:"Recipient"`
}

type decryptOutput struct {
	Plaintext           []byte `json:"Plaintext"`
	KeyID               string `json:"KeyId"`
	EncryptionAlgorithm string `json:"EncryptionAlgorithm"`
}

func (s *Service) decrypt(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in decryptInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Recipient != nil {
		return nil, protocol.NotImplemented("kms", "Decrypt with a Nitro Enclave Recipient")
	}
	if err := checkAlgorithm(in.EncryptionAlgorithm); err != nil {
		return nil, err
	}
	var out decryptOutput
	err := s.update(ctx, func(tx *state.Tx) error {
		k, plain, err := s.open(tx, r, in.CiphertextBlob, in.KeyID, in.EncryptionContext)
		if err != nil {
			return err
		}
		if in.DryRun {
			return dryRun()
		}
		out = decryptOutput{Plaintext: plain, KeyID: k.ARN, EncryptionAlgorithm: algSymmetric}
		return nil
	})
	return out, err
}

type reEncryptInput struct {
	CiphertextBlob                 []byte            `json:"CiphertextBlob"`
	SourceKeyID                    string            `json:"SourceKeyId"`
	SourceEncryptionContext        map[string]string `json:"SourceEncryptionContext"`
	SourceEncryptionAlgorithm      string            `json:"SourceEncryptionAlgorithm"`
	DestinationKeyID               string            `json:"DestinationKeyId"`
	DestinationEncryptionContext   map[string]string `json:"DestinationEncryptionContext"`
	DestinationEncryptionAlgorithm string            `json:"DestinationEncryptionAlgorithm"`
	DryRun                         bool              `json:"DryRun"`
}

type reEncryptOutput struct {
	CiphertextBlob                 []byte `json:"CiphertextBlob"`
	KeyID                          string `json:"KeyId"`
	SourceKeyID                    string `json:"SourceKeyId"`
	SourceEncryptionAlgorithm      string `json:"SourceEncryptionAlgorithm"`
	DestinationEncryptionAlgorithm string `json:"DestinationEncryptionAlgorithm"`
}

func (s *Service) reEncrypt(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in reEncryptInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	for _, alg := range []string{in.SourceEncryptionAlgorithm, in.DestinationEncryptionAlgorithm} {
		if err := checkAlgorithm(alg); err != nil {
			return nil, err
		}
	}
	if err := checkContext(in.DestinationEncryptionContext); err != nil {
		return nil, err
	}
	var out reEncryptOutput
	err := s.update(ctx, func(tx *state.Tx) error {
		src, plain, err := s.open(tx, r, in.CiphertextBlob, in.SourceKeyID, in.SourceEncryptionContext)
		if err != nil {
			return err
		}
		dst, err := s.encryptionKey(tx, r, in.DestinationKeyID)
		if err != nil {
			return err
		}
		if in.DryRun {
			return dryRun()
		}
		ct, err := seal(dst, plain, in.DestinationEncryptionContext)
		if err != nil {
			return err
		}
		out = reEncryptOutput{CiphertextBlob: ct, KeyID: dst.ARN, SourceKeyID: src.ARN,
			SourceEncryptionAlgorithm: algSymmetric, DestinationEncryptionAlgorithm: algSymmetric}
		return nil
	})
	return out, err
}

type dataKeyInput struct {
	KeyID             string            `json:"KeyId"`
	KeySpec           string            `json:"KeySpec"`
	NumberOfBytes     *int              `json:"NumberOfBytes"`
	EncryptionContext map[string]string `json:"EncryptionContext"`
	DryRun            bool              `json:"DryRun"`
	Recipient         any               `json:"Recipient"`
}

type dataKeyOutput struct {
	CiphertextBlob []byte `json:"CiphertextBlob"`
	Plaintext      []byte `json:"Plaintext,omitempty"`
	KeyID          string `json:"KeyId"`
}

func (s *Service) dataKey(ctx context.Context, r *service.Request, body []byte, withPlaintext bool) (any, error) {
	var in dataKeyInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Recipient != nil {
		return nil, protocol.NotImplemented("kms", "GenerateDataKey with a Nitro Enclave Recipient")
	}
	n := 0
	switch {
	case in.KeySpec != "" && in.NumberOfBytes != nil:
		return nil, validation("Please specify either number of bytes or key spec.")
	case in.KeySpec == "AES_256":
		n = 32
	case in.KeySpec == "AES_128":
		n = 16
	case in.KeySpec != "":
		return nil, validation("1 validation error detected: Value '%s' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]", in.KeySpec)
	case in.NumberOfBytes != nil:
		n = *in.NumberOfBytes
		if n < 1 || n > 1024 {
			return nil, validation("1 validation error detected: Value '%d' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024", n)
		}
	default:
		return nil, validation("Please specify either number of bytes or key spec.")
	}
	if err := checkContext(in.EncryptionContext); err != nil {
		return nil, err
	}
	var out dataKeyOutput
	err := s.update(ctx, func(tx *state.Tx) error {
		k, err := s.encryptionKey(tx, r, in.KeyID)
		if err != nil {
			return err
		}
		if in.DryRun {
			return dryRun()
		}
		plain := make([]byte, n)
		_, _ = rand.Read(plain)
		ct, err := seal(k, plain, in.EncryptionContext)
		if err != nil {
			return err
		}
		out = dataKeyOutput{CiphertextBlob: ct, KeyID: k.ARN}
		if withPlaintext {
			out.Plaintext = plain
		}
		return nil
	})
	return out, err
}

func (s *Service) generateDataKey(ctx context.Context, r *service.Request, body []byte) (any, error) {
	return s.dataKey(ctx, r, body, true)
}

func (s *Service) generateDataKeyWithoutPlaintext(ctx context.Context, r *service.Request, body []byte) (any, error) {
	return s.dataKey(ctx, r, body, false)
}

func (s *Service) generateRandom(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in struct {
		NumberOfBytes    *int   `json:"NumberOfBytes"`
		CustomKeyStoreID string `json:"CustomKeyStoreId"`
		Recipient        any    `json:"Recipient"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.CustomKeyStoreID != "" || in.Recipient != nil {
		return nil, protocol.NotImplemented("kms", "GenerateRandom with a custom key store or Recipient")
	}
	if in.NumberOfBytes == nil || *in.NumberOfBytes < 1 || *in.NumberOfBytes > 1024 {
		return nil, validation("1 validation error detected: Value at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024")
	}
	b := make([]byte, *in.NumberOfBytes)
	_, _ = rand.Read(b)
	return map[string][]byte{"Plaintext": b}, nil
}

type macInput struct {
	KeyID        string `json:"KeyId"`
	Message      []byte `json:"Message"`
	MacAlgorithm string `json:"MacAlgorithm"`
	Mac          []byte `json:"Mac"`
	DryRun       bool   `json:"DryRun"`
}

var macHashes = map[string]func() hash.Hash{
	"HMAC_SHA_224": sha256.New224, "HMAC_SHA_256": sha256.New, "HMAC_SHA_384": sha512.New384, "HMAC_SHA_512": sha512.New,
}

// mac computes the HMAC of a message with an HMAC key, all versions of
// whose material are tried when verifying.
func (s *Service) mac(ctx context.Context, r *service.Request, in macInput, verify bool) (key *keyDoc, sum []byte, valid bool, err error) {
	if len(in.Message) == 0 || len(in.Message) > 4096 {
		return nil, nil, false, validation("1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length between 1 and 4096")
	}
	newHash, ok := macHashes[in.MacAlgorithm]
	if !ok {
		return nil, nil, false, validation("1 validation error detected: Value '%s' at 'macAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]", in.MacAlgorithm)
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		k, err := s.resolve(tx, s.env.RegionOf(r), in.KeyID, lookup{allowAlias: true})
		if err != nil {
			return err
		}
		if err := usable(k); err != nil {
			return err
		}
		if k.KeyUsage != usageMAC || macAlgorithms[k.KeySpec] != in.MacAlgorithm {
			return errorf("InvalidKeyUsageException", "%s cannot be used with %s.", k.ARN, in.MacAlgorithm)
		}
		if in.DryRun {
			return dryRun()
		}
		key = k
		h := hmac.New(newHash, k.current().Secret)
		h.Write(in.Message)
		sum = h.Sum(nil)
		if verify {
			for _, m := range k.Materials {
				h := hmac.New(newHash, m.Secret)
				h.Write(in.Message)
				if hmac.Equal(h.Sum(nil), in.Mac) {
					valid = true
				}
			}
		}
		return nil
	})
	return key, sum, valid, err
}

func (s *Service) generateMac(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in macInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	k, sum, _, err := s.mac(ctx, r, in, false)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Mac": sum, "MacAlgorithm": in.MacAlgorithm, "KeyId": k.ARN}, nil
}

func (s *Service) verifyMac(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in macInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	k, _, valid, err := s.mac(ctx, r, in, true)
	if err != nil {
		return nil, err
	}
	if !valid {
		return nil, errorf("KMSInvalidMacException", "The MAC does not match the message.")
	}
	return map[string]any{"MacValid": true, "MacAlgorithm": in.MacAlgorithm, "KeyId": k.ARN}, nil
}
