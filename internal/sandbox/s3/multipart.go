package s3

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// minPartSize is the smallest part S3 accepts, except for the last one.
const minPartSize = 5 << 20

const maxParts = 10000

func partKey(n int) string { return fmt.Sprintf("%05d", n) }

// checksumTypeFor settles the checksum type of a multipart upload.
func checksumTypeFor(alg, typ string) (string, *s3Error) {
	if alg == "" {
		if typ != "" {
			return "", errInvalidRequest("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
		}
		return "", nil
	}
	switch typ {
	case "":
		if alg == "CRC64NVME" {
			return "FULL_OBJECT", nil
		}
		return "COMPOSITE", nil
	case "COMPOSITE":
		if alg == "CRC64NVME" {
			return "", errInvalidRequest("The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.")
		}
	case "FULL_OBJECT":
		if strings.HasPrefix(alg, "SHA") {
			return "", errInvalidRequest("The FULL_OBJECT checksum type cannot be used with the %s checksum algorithm.", strings.ToLower(alg))
		}
	default:
		return "", errInvalidRequest("Value for x-amz-checksum-type header is invalid.")
	}
	return typ, nil
}

func (s *Service) createMultipartUpload(c *call) error {
	b, err := s.viewBucket(c)
	if err != nil {
		return err
	}
	tmpl, e := s.objectFromHeaders(c.r.Header, b, b.Region)
	if e != nil {
		return e
	}
	alg := strings.ToUpper(c.r.Header.Get("X-Amz-Checksum-Algorithm"))
	if alg != "" && !validChecksumAlgorithm(alg) {
		return errInvalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
	}
	typ, e := checksumTypeFor(alg, strings.ToUpper(c.r.Header.Get("X-Amz-Checksum-Type")))
	if e != nil {
		return e
	}
	up := Upload{ID: randomID(64), Key: c.key, Initiated: s.env.Now().UTC(), Template: tmpl, ChecksumAlgo: alg, ChecksumType: typ}
	err = s.env.State.Update(c.r.Context(), func(tx *state.Tx) error {
		if _, err := getBucket(tx, c.bucket); err != nil {
			return err
		}
		return tx.Put(nsUpload(c.bucket), up.ID, up)
	})
	if err != nil {
		return err
	}
	h := c.w.Header()
	setSSEHeaders(h, &tmpl)
	if alg != "" {
		h.Set("X-Amz-Checksum-Algorithm", alg)
		h.Set("X-Amz-Checksum-Type", typ)
	}
	return c.writeXML(http.StatusOK, struct {
		XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
		Xmlns    string   `xml:"xmlns,attr"`
		Bucket   string   `xml:"Bucket"`
		Key      string   `xml:"Key"`
		UploadID string   `xml:"UploadId"`
	}{Xmlns: ns, Bucket: c.bucket, Key: c.key, UploadID: up.ID})
}

// getUpload reads the upload a request names, checking it belongs to the
// request's key.
func getUpload(tx *state.Tx, bucket, key, id string) (*Upload, error) {
	if _, err := getBucket(tx, bucket); err != nil {
		return nil, err
	}
	var up Upload
	if err := tx.Get(nsUpload(bucket), id, &up); err != nil {
		if err == state.ErrNotFound {
			return nil, errNoSuchUpload(id)
		}
		return nil, err
	}
	if up.Key != key {
		return nil, errNoSuchUpload(id)
	}
	return &up, nil
}

func parsePartNumber(v string) (int, *s3Error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxParts {
		return 0, errInvalidArgument("Part number must be an integer between 1 and 10000, inclusive").with("ArgumentName", "partNumber").with("ArgumentValue", v)
	}
	return n, nil
}

func (s *Service) viewUpload(c *call) (*Upload, error) {
	var up *Upload
	err := s.env.State.View(c.r.Context(), func(tx *state.Tx) error {
		var err error
		up, err = getUpload(tx, c.bucket, c.key, c.query.Get("uploadId"))
		return err
	})
	return up, err
}

func (s *Service) uploadPart(c *call) error {
	n, e := parsePartNumber(c.query.Get("partNumber"))
	if e != nil {
		return e
	}
	up, err := s.viewUpload(c)
	if err != nil {
		return err
	}
	if up.ChecksumAlgo != "" {
		if alg, _, _, e := requestChecksum(c.r.Header); e == nil && alg != "" && alg != up.ChecksumAlgo {
			return errInvalidRequest("Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s", strings.ToLower(up.ChecksumAlgo), strings.ToLower(alg))
		}
	}
	o, err := s.storeBody(c, Object{}, up.ChecksumAlgo)
	if err != nil {
		return err
	}
	part := Part{Number: n, Blob: o.Blob, Size: o.Size, ETag: o.ETag, MD5: strings.Trim(o.ETag, `"`), LastModified: o.LastModified, Checksum: o.Checksum}
	if err := s.putPart(c, up.ID, part); err != nil {
		return err
	}
	h := c.w.Header()
	h.Set("ETag", part.ETag)
	setSSEHeaders(h, &up.Template)
	if up.ChecksumAlgo != "" && part.Checksum != "" {
		h.Set(checksumHeader(up.ChecksumAlgo), part.Checksum)
	}
	c.writeStatus(http.StatusOK)
	return nil
}

// putPart records a part (replacing one with the same number) if the
// upload still exists; on failure the part's blob is removed.
func (s *Service) putPart(c *call, uploadID string, part Part) error {
	var garbage []string
	err := s.env.State.Update(c.r.Context(), func(tx *state.Tx) error {
		if _, err := getUpload(tx, c.bucket, c.key, uploadID); err != nil {
			return err
		}
		var old Part
		switch err := tx.Get(nsPart(uploadID), partKey(part.Number), &old); err {
		case nil:
			garbage = append(garbage, old.Blob)
		case state.ErrNotFound:
		default:
			return err
		}
		return tx.Put(nsPart(uploadID), partKey(part.Number), part)
	})
	if err != nil {
		s.collect([]string{part.Blob})
		return err
	}
	s.collect(garbage)
	return nil
}

func (s *Service) uploadPartCopy(c *call) error {
	n, e := parsePartNumber(c.query.Get("partNumber"))
	if e != nil {
		return e
	}
	sbucket, skey, svid, e := copySource(c.r.Header.Get("X-Amz-Copy-Source"))
	if e != nil {
		return e
	}
	var (
		up  *Upload
		src *Object
	)
	err := s.env.State.View(c.r.Context(), func(tx *state.Tx) error {
		var err error
		if up, err = getUpload(tx, c.bucket, c.key, c.query.Get("uploadId")); err != nil {
			return err
		}
		src, _, err = lookupSource(tx, sbucket, skey, svid)
		return err
	})
	if err != nil {
		return err
	}
	if e := copySourceCondition(c.r.Header, src); e != nil {
		return e
	}
	start, length := int64(0), src.Size
	if rg := c.r.Header.Get("X-Amz-Copy-Source-Range"); rg != "" {
		spec, ok := strings.CutPrefix(rg, "bytes=")
		a, z, ok2 := strings.Cut(spec, "-")
		first, err1 := strconv.ParseInt(a, 10, 64)
		last, err2 := strconv.ParseInt(z, 10, 64)
		if !ok || !ok2 || err1 != nil || err2 != nil || first < 0 || last < first {
			return errInvalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy").with("ArgumentName", "x-amz-copy-source-range").with("ArgumentValue", rg)
		}
		if last >= src.Size {
			return errInvalidArgument("Range specified is not valid for source object of size: %d", src.Size).with("ArgumentName", "x-amz-copy-source-range").with("ArgumentValue", rg)
		}
		start, length = first, last-first+1
	}
	if length > MaxObjectSize {
		return errInvalidRequest("The specified copy source is larger than the maximum allowable size for a copy source: %d", int64(MaxObjectSize))
	}
	f, err := s.env.State.OpenBlob(src.Blob)
	if err != nil {
		return err
	}
	var hsh hash.Hash
	var r io.Reader = io.NewSectionReader(f, start, length)
	if up.ChecksumAlgo != "" {
		hsh = newChecksumHash(up.ChecksumAlgo)
		r = io.TeeReader(r, hsh)
	}
	blob, err := s.env.State.WriteBlob(r, -1)
	_ = f.Close()
	if err != nil {
		return err
	}
	part := Part{Number: n, Blob: blob.ID, Size: blob.Size, ETag: `"` + blob.MD5 + `"`, MD5: blob.MD5, LastModified: s.env.Now().UTC()}
	if hsh != nil {
		part.Checksum = checksumOf(hsh)
	}
	if err := s.putPart(c, up.ID, part); err != nil {
		return err
	}
	res := struct {
		XMLName      xml.Name     `xml:"CopyPartResult"`
		Xmlns        string       `xml:"xmlns,attr"`
		ETag         string       `xml:"ETag"`
		LastModified string       `xml:"LastModified"`
		Checksum     checksumElem `xml:"Checksum"`
	}{Xmlns: ns, ETag: part.ETag, LastModified: isoTime(part.LastModified), Checksum: checksumElem{up.ChecksumAlgo, part.Checksum}}
	return c.writeXML(http.StatusOK, res)
}

// listPartsOf returns an upload's parts in number order.
func listPartsOf(tx *state.Tx, uploadID string) ([]Part, error) {
	ents, err := tx.List(state.ListParams{NS: nsPart(uploadID)})
	if err != nil {
		return nil, err
	}
	parts := make([]Part, 0, len(ents))
	for _, e := range ents {
		var p Part
		if err := json.Unmarshal(e.Value, &p); err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	return parts, nil
}

// dropUpload deletes an upload and its parts, returning the part blobs.
func dropUpload(tx *state.Tx, bucket, uploadID string) ([]string, error) {
	parts, err := listPartsOf(tx, uploadID)
	if err != nil {
		return nil, err
	}
	blobs := make([]string, 0, len(parts))
	for _, p := range parts {
		blobs = append(blobs, p.Blob)
	}
	if err := tx.DeletePrefix(nsPart(uploadID), ""); err != nil {
		return nil, err
	}
	return blobs, tx.Delete(nsUpload(bucket), uploadID)
}

type completePart struct {
	PartNumber int    `xml:"PartNumber"`
	ETag       string `xml:"ETag"`
}

func (s *Service) completeMultipartUpload(c *call) error {
	body, err := c.readSmallBody(maxConfigBody)
	if err != nil {
		return err
	}
	var in struct {
		Parts []completePart `xml:"Part"`
	}
	if e := decodeXML(body, "CompleteMultipartUpload", &in); e != nil {
		return e
	}
	if len(in.Parts) == 0 {
		return errInvalidRequest("You must specify at least one part")
	}
	for i := 1; i < len(in.Parts); i++ {
		if in.Parts[i].PartNumber <= in.Parts[i-1].PartNumber {
			return newErr(http.StatusBadRequest, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.").with("UploadId", c.query.Get("uploadId"))
		}
	}
	wc, e := parseWriteCondition(c.r.Header)
	if e != nil {
		return e
	}
	uploadID := c.query.Get("uploadId")
	var (
		up    *Upload
		parts []Part
	)
	err = s.env.State.View(c.r.Context(), func(tx *state.Tx) error {
		var err error
		if up, err = getUpload(tx, c.bucket, c.key, uploadID); err != nil {
			return err
		}
		stored, err := listPartsOf(tx, uploadID)
		if err != nil {
			return err
		}
		byNum := map[int]Part{}
		for _, p := range stored {
			byNum[p.Number] = p
		}
		for i, want := range in.Parts {
			p, ok := byNum[want.PartNumber]
			if !ok || strings.Trim(want.ETag, `" `) != p.MD5 {
				return newErr(http.StatusBadRequest, "InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.").
					with("UploadId", uploadID).with("PartNumber", strconv.Itoa(want.PartNumber)).with("ETag", want.ETag)
			}
			if i < len(in.Parts)-1 && p.Size < minPartSize {
				return newErr(http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size").
					with("ProposedSize", itoa(p.Size)).with("MinSizeAllowed", itoa(minPartSize)).with("PartNumber", strconv.Itoa(p.Number)).with("ETag", p.ETag)
			}
			parts = append(parts, p)
		}
		cur, err := currentObject(tx, c.bucket, c.key)
		if err != nil {
			return err
		}
		if e := wc.check(c.key, cur); e != nil {
			return e
		}
		return nil
	})
	if err != nil {
		return err
	}
	o, err := s.assemble(up, parts)
	if err != nil {
		return err
	}
	o.Key = c.key
	var (
		garbage []string
		b       *Bucket
	)
	err = s.env.State.Update(c.r.Context(), func(tx *state.Tx) error {
		if _, err := getUpload(tx, c.bucket, c.key, uploadID); err != nil {
			return err
		}
		var err error
		if b, err = getBucket(tx, c.bucket); err != nil {
			return err
		}
		cur, err := currentObject(tx, c.bucket, c.key)
		if err != nil {
			return err
		}
		if e := wc.check(c.key, cur); e != nil {
			return e
		}
		if garbage, err = storeVersion(tx, b, o, o.LastModified); err != nil {
			return err
		}
		blobs, err := dropUpload(tx, c.bucket, uploadID)
		garbage = append(garbage, blobs...)
		return err
	})
	if err != nil {
		s.collect([]string{o.Blob})
		return err
	}
	s.collect(garbage)
	h := c.w.Header()
	if b.Versioning != "" {
		h.Set("X-Amz-Version-Id", o.VersionID)
	}
	setSSEHeaders(h, o)
	res := struct {
		XMLName      xml.Name     `xml:"CompleteMultipartUploadResult"`
		Xmlns        string       `xml:"xmlns,attr"`
		Location     string       `xml:"Location"`
		Bucket       string       `xml:"Bucket"`
		Key          string       `xml:"Key"`
		ETag         string       `xml:"ETag"`
		Checksum     checksumElem `xml:"Checksum"`
		ChecksumType string       `xml:"ChecksumType,omitempty"`
	}{Xmlns: ns, Location: "/" + c.bucket + "/" + c.key, Bucket: c.bucket, Key: c.key, ETag: o.ETag}
	if up.ChecksumAlgo != "" {
		res.Checksum, res.ChecksumType = checksumElem{o.ChecksumAlgorithm, o.Checksum}, o.ChecksumType
	}
	return c.writeXML(http.StatusOK, res)
}

// assemble concatenates the parts into one new blob (streaming, one part
// file open at a time) and computes the object's ETag ("md5-of-md5s-N")
// and checksum.
func (s *Service) assemble(up *Upload, parts []Part) (*Object, error) {
	var alg, typ string
	switch {
	case up.ChecksumAlgo == "":
		alg, typ = defaultChecksum, "FULL_OBJECT"
	default:
		alg, typ = up.ChecksumAlgo, up.ChecksumType
	}
	var full hash.Hash
	if typ == "FULL_OBJECT" {
		full = newChecksumHash(alg)
	}
	var r io.Reader = &partsReader{s: s, parts: parts}
	if full != nil {
		r = io.TeeReader(r, full)
	}
	blob, err := s.env.State.WriteBlob(r, -1)
	if err != nil {
		return nil, err
	}
	md5s := md5.New()
	comp := newChecksumHash(alg)
	sizes := make([]int64, 0, len(parts))
	for _, p := range parts {
		raw, _ := hex.DecodeString(p.MD5)
		md5s.Write(raw)
		if typ == "COMPOSITE" {
			if sum, err := base64.StdEncoding.DecodeString(p.Checksum); err == nil {
				comp.Write(sum)
			}
		}
		sizes = append(sizes, p.Size)
	}
	suffix := "-" + strconv.Itoa(len(parts))
	o := up.Template
	o.Blob, o.Size = blob.ID, blob.Size
	o.ETag = `"` + hex.EncodeToString(md5s.Sum(nil)) + suffix + `"`
	o.LastModified = s.env.Now().UTC()
	o.PartSizes = sizes
	o.ChecksumAlgorithm, o.ChecksumType = alg, typ
	if full != nil {
		o.Checksum = checksumOf(full)
	} else {
		o.Checksum = checksumOf(comp) + suffix
	}
	return &o, nil
}

// partsReader reads part blobs one after another.
type partsReader struct {
	s     *Service
	parts []Part
	cur   *os.File
}

func (p *partsReader) Read(b []byte) (int, error) {
	for {
		if p.cur == nil {
			if len(p.parts) == 0 {
				return 0, io.EOF
			}
			f, err := p.s.env.State.OpenBlob(p.parts[0].Blob)
			if err != nil {
				return 0, err
			}
			p.cur, p.parts = f, p.parts[1:]
		}
		n, err := p.cur.Read(b)
		if err == io.EOF {
			_ = p.cur.Close()
			p.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (s *Service) abortMultipartUpload(c *call) error {
	var garbage []string
	err := s.env.State.Update(c.r.Context(), func(tx *state.Tx) error {
		id := c.query.Get("uploadId")
		if _, err := getUpload(tx, c.bucket, c.key, id); err != nil {
			return err
		}
		var err error
		garbage, err = dropUpload(tx, c.bucket, id)
		return err
	})
	if err != nil {
		return err
	}
	s.collect(garbage)
	c.writeStatus(http.StatusNoContent)
	return nil
}

type initiator struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

func (s *Service) listParts(c *call) error {
	maxP := 1000
	if v := c.query.Get("max-parts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errInvalidArgument("Provided max-parts not an integer or within integer range").with("ArgumentName", "max-parts").with("ArgumentValue", v)
		}
		if n < maxP {
			maxP = n
		}
	}
	marker := 0
	if v := c.query.Get("part-number-marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errInvalidArgument("Provided part-number-marker not an integer or within integer range").with("ArgumentName", "part-number-marker").with("ArgumentValue", v)
		}
		marker = n
	}
	var (
		up    *Upload
		parts []Part
	)
	err := s.env.State.View(c.r.Context(), func(tx *state.Tx) error {
		var err error
		if up, err = getUpload(tx, c.bucket, c.key, c.query.Get("uploadId")); err != nil {
			return err
		}
		parts, err = listPartsOf(tx, up.ID)
		return err
	})
	if err != nil {
		return err
	}
	type xmlPart struct {
		PartNumber   int          `xml:"PartNumber"`
		LastModified string       `xml:"LastModified"`
		ETag         string       `xml:"ETag"`
		Size         int64        `xml:"Size"`
		Checksum     checksumElem `xml:"Checksum"`
	}
	own := s.owner()
	doc := struct {
		XMLName              xml.Name  `xml:"ListPartsResult"`
		Xmlns                string    `xml:"xmlns,attr"`
		Bucket               string    `xml:"Bucket"`
		Key                  string    `xml:"Key"`
		UploadID             string    `xml:"UploadId"`
		PartNumberMarker     int       `xml:"PartNumberMarker"`
		NextPartNumberMarker int       `xml:"NextPartNumberMarker"`
		MaxParts             int       `xml:"MaxParts"`
		IsTruncated          bool      `xml:"IsTruncated"`
		Parts                []xmlPart `xml:"Part"`
		Initiator            initiator `xml:"Initiator"`
		Owner                owner     `xml:"Owner"`
		StorageClass         string    `xml:"StorageClass"`
		ChecksumAlgorithm    string    `xml:"ChecksumAlgorithm,omitempty"`
		ChecksumType         string    `xml:"ChecksumType,omitempty"`
	}{Xmlns: ns, Bucket: c.bucket, Key: c.key, UploadID: up.ID, PartNumberMarker: marker, MaxParts: maxP,
		Initiator: initiator{own.ID, own.DisplayName}, Owner: own, StorageClass: storageClassOf(&up.Template),
		ChecksumAlgorithm: up.ChecksumAlgo, ChecksumType: up.ChecksumType}
	for _, p := range parts {
		if p.Number <= marker {
			continue
		}
		if len(doc.Parts) == maxP {
			doc.IsTruncated = true
			break
		}
		doc.Parts = append(doc.Parts, xmlPart{p.Number, isoTime(p.LastModified), p.ETag, p.Size, checksumElem{up.ChecksumAlgo, p.Checksum}})
		doc.NextPartNumberMarker = p.Number
	}
	return c.writeXML(http.StatusOK, doc)
}

func (s *Service) listMultipartUploads(c *call) error {
	maxU := 1000
	if v := c.query.Get("max-uploads"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errInvalidArgument("Provided max-uploads not an integer or within integer range").with("ArgumentName", "max-uploads").with("ArgumentValue", v)
		}
		if n < maxU {
			maxU = n
		}
	}
	prefix, keyMarker, idMarker := c.query.Get("prefix"), c.query.Get("key-marker"), c.query.Get("upload-id-marker")
	var ups []Upload
	err := s.env.State.View(c.r.Context(), func(tx *state.Tx) error {
		if _, err := getBucket(tx, c.bucket); err != nil {
			return err
		}
		ents, err := tx.List(state.ListParams{NS: nsUpload(c.bucket)})
		if err != nil {
			return err
		}
		for _, e := range ents {
			var u Upload
			if err := json.Unmarshal(e.Value, &u); err != nil {
				return err
			}
			if strings.HasPrefix(u.Key, prefix) {
				ups = append(ups, u)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(ups, func(i, j int) bool {
		if ups[i].Key != ups[j].Key {
			return ups[i].Key < ups[j].Key
		}
		if !ups[i].Initiated.Equal(ups[j].Initiated) {
			return ups[i].Initiated.Before(ups[j].Initiated)
		}
		return ups[i].ID < ups[j].ID
	})
	type xmlUpload struct {
		Key          string    `xml:"Key"`
		UploadID     string    `xml:"UploadId"`
		Initiator    initiator `xml:"Initiator"`
		Owner        owner     `xml:"Owner"`
		StorageClass string    `xml:"StorageClass"`
		Initiated    string    `xml:"Initiated"`
	}
	own := s.owner()
	doc := struct {
		XMLName            xml.Name    `xml:"ListMultipartUploadsResult"`
		Xmlns              string      `xml:"xmlns,attr"`
		Bucket             string      `xml:"Bucket"`
		KeyMarker          string      `xml:"KeyMarker"`
		UploadIDMarker     string      `xml:"UploadIdMarker"`
		NextKeyMarker      string      `xml:"NextKeyMarker,omitempty"`
		NextUploadIDMarker string      `xml:"NextUploadIdMarker,omitempty"`
		Prefix             string      `xml:"Prefix"`
		MaxUploads         int         `xml:"MaxUploads"`
		IsTruncated        bool        `xml:"IsTruncated"`
		Uploads            []xmlUpload `xml:"Upload"`
	}{Xmlns: ns, Bucket: c.bucket, KeyMarker: keyMarker, UploadIDMarker: idMarker, Prefix: prefix, MaxUploads: maxU}
	passed := keyMarker == ""
	for _, u := range ups {
		if !passed {
			if u.Key < keyMarker || (u.Key == keyMarker && (idMarker == "" || u.ID != idMarker)) {
				continue
			}
			if u.Key == keyMarker && u.ID == idMarker {
				passed = true
				continue
			}
			passed = true
		}
		if len(doc.Uploads) == maxU {
			doc.IsTruncated = true
			break
		}
		doc.Uploads = append(doc.Uploads, xmlUpload{u.Key, u.ID, initiator{own.ID, own.DisplayName}, own, storageClassOf(&u.Template), isoTime(u.Initiated)})
		doc.NextKeyMarker, doc.NextUploadIDMarker = u.Key, u.ID
	}
	if !doc.IsTruncated {
		doc.NextKeyMarker, doc.NextUploadIDMarker = "", ""
	}
	return c.writeXML(http.StatusOK, doc)
}
