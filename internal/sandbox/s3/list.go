package s3

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// listBatch is how many documents one state query returns while listing.
const listBatch = 1000

// skipPast is appended to a common prefix to skip every key under it: no
// byte of a valid UTF-8 key is 0xff.
const skipPast = "\xff"

type listQuery struct {
	prefix, delimiter string
	after             string // state position to start after
	max               int
	encode            bool
}

func parseListQuery(q url.Values) (listQuery, *s3Error) {
	lq := listQuery{prefix: q.Get("prefix"), delimiter: q.Get("delimiter"), max: 1000}
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return lq, errInvalidArgument("Provided max-keys not an integer or within integer range").with("ArgumentName", "max-keys").with("ArgumentValue", v)
		}
		if n < lq.max {
			lq.max = n
		}
	}
	switch q.Get("encoding-type") {
	case "":
	case "url":
		lq.encode = true
	default:
		return lq, errInvalidArgument("Invalid Encoding Method specified in Request").with("ArgumentName", "encoding-type").with("ArgumentValue", q.Get("encoding-type"))
	}
	return lq, nil
}

func (lq listQuery) enc(s string) string {
	if lq.encode {
		return url.QueryEscape(s)
	}
	return s
}

// markerPosition turns a client's marker into a state position, skipping
// the keys under it when the marker is a common prefix.
func (lq listQuery) markerPosition(marker string) string {
	if lq.delimiter != "" && strings.HasSuffix(marker, lq.delimiter) && strings.HasPrefix(marker, lq.prefix) {
		return marker + skipPast
	}
	return marker
}

type listed struct {
	objects   []Object
	prefixes  []string
	truncated bool
	next      string // state position after the last item returned
	last      string // last key or common prefix returned
}

// commonPrefix returns the common prefix key rolls up into, if any.
func (lq listQuery) commonPrefix(key string) (string, bool) {
	if lq.delimiter == "" {
		return "", false
	}
	rest := key[len(lq.prefix):]
	if i := strings.Index(rest, lq.delimiter); i >= 0 {
		return lq.prefix + rest[:i+len(lq.delimiter)], true
	}
	return "", false
}

// listCurrent lists current objects of a bucket in key order.
func listCurrent(tx *state.Tx, bucket string, lq listQuery) (listed, error) {
	var out listed
	pos := lq.after
	count := 0
	for {
		ents, err := tx.List(state.ListParams{NS: nsObject(bucket), Prefix: lq.prefix, After: pos, Limit: listBatch})
		if err != nil {
			return out, err
		}
		requery := false
		for _, e := range ents {
			if count >= lq.max {
				out.truncated = true
				out.next = pos
				return out, nil
			}
			if cp, ok := lq.commonPrefix(e.Key); ok {
				out.prefixes = append(out.prefixes, cp)
				out.last = cp
				pos = cp + skipPast
				count++
				requery = true
				break
			}
			var o Object
			if err := json.Unmarshal(e.Value, &o); err != nil {
				return out, err
			}
			out.objects = append(out.objects, o)
			out.last = o.Key
			pos = e.Key
			count++
		}
		if !requery && len(ents) < listBatch {
			out.next = pos
			return out, nil
		}
	}
}

type xmlObject struct {
	Key               string `xml:"Key"`
	LastModified      string `xml:"LastModified"`
	ETag              string `xml:"ETag"`
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
	Size              int64  `xml:"Size"`
	Owner             *owner `xml:"Owner,omitempty"`
	StorageClass      string `xml:"StorageClass"`
}

type xmlPrefix struct {
	Prefix string `xml:"Prefix"`
}

func (s *Service) toXMLObject(lq listQuery, o *Object, withOwner bool) xmlObject {
	x := xmlObject{Key: lq.enc(o.Key), LastModified: isoTime(o.LastModified), ETag: o.ETag, Size: o.Size,
		StorageClass: storageClassOf(o), ChecksumAlgorithm: o.ChecksumAlgorithm, ChecksumType: o.ChecksumType}
	if withOwner {
		ow := s.owner()
		x.Owner = &ow
	}
	return x
}

func storageClassOf(o *Object) string {
	if o.StorageClass == "" {
		return "STANDARD"
	}
	return o.StorageClass
}

func (s *Service) listObjectsV2(c *call) error {
	lq, e := parseListQuery(c.query)
	if e != nil {
		return e
	}
	token, startAfter := c.query.Get("continuation-token"), c.query.Get("start-after")
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || !strings.HasPrefix(string(raw), "v1:") {
			return errInvalidArgument("The continuation token provided is incorrect").with("ArgumentName", "continuation-token")
		}
		lq.after = strings.TrimPrefix(string(raw), "v1:")
	} else if startAfter != "" {
		lq.after = startAfter
	}
	var res listed
	err := s.env.State.View(c.r.Context(), func(tx *state.Tx) error {
		if _, err := getBucket(tx, c.bucket); err != nil {
			return err
		}
		var err error
		res, err = listCurrent(tx, c.bucket, lq)
		return err
	})
	if err != nil {
		return err
	}
	doc := struct {
		XMLName               xml.Name    `xml:"ListBucketResult"`
		Xmlns                 string      `xml:"xmlns,attr"`
		Name                  string      `xml:"Name"`
		Prefix                string      `xml:"Prefix"`
		Delimiter             string      `xml:"Delimiter,omitempty"`
		MaxKeys               int         `xml:"MaxKeys"`
		EncodingType          string      `xml:"EncodingType,omitempty"`
		KeyCount              int         `xml:"KeyCount"`
		IsTruncated           bool        `xml:"IsTruncated"`
		ContinuationToken     string      `xml:"ContinuationToken,omitempty"`
		NextContinuationToken string      `xml:"NextContinuationToken,omitempty"`
		StartAfter            string      `xml:"StartAfter,omitempty"`
		Contents              []xmlObject `xml:"Contents"`
		CommonPrefixes        []xmlPrefix `xml:"CommonPrefixes"`
	}{Xmlns: ns, Name: c.bucket, Prefix: lq.enc(lq.prefix), Delimiter: lq.enc(lq.delimiter), MaxKeys: lq.max,
		EncodingType: c.query.Get("encoding-type"), IsTruncated: res.truncated, ContinuationToken: token, StartAfter: lq.enc(startAfter)}
	withOwner := c.query.Get("fetch-owner") == "true"
	for i := range res.objects {
		doc.Contents = append(doc.Contents, s.toXMLObject(lq, &res.objects[i], withOwner))
	}
	for _, p := range res.prefixes {
		doc.CommonPrefixes = append(doc.CommonPrefixes, xmlPrefix{lq.enc(p)})
	}
	doc.KeyCount = len(doc.Contents) + len(doc.CommonPrefixes)
	if res.truncated {
		doc.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte("v1:" + res.next))
	}
	return c.writeXML(http.StatusOK, doc)
}

func (s *Service) listObjects(c *call) error {
	lq, e := parseListQuery(c.query)
	if e != nil {
		return e
	}
	marker := c.query.Get("marker")
	lq.after = lq.markerPosition(marker)
	var res listed
	err := s.env.State.View(c.r.Context(), func(tx *state.Tx) error {
		if _, err := getBucket(tx, c.bucket); err != nil {
			return err
		}
		var err error
		res, err = listCurrent(tx, c.bucket, lq)
		return err
	})
	if err != nil {
		return err
	}
	doc := struct {
		XMLName        xml.Name    `xml:"ListBucketResult"`
		Xmlns          string      `xml:"xmlns,attr"`
		Name           string      `xml:"Name"`
		Prefix         string      `xml:"Prefix"`
		Marker         string      `xml:"Marker"`
		NextMarker     string      `xml:"NextMarker,omitempty"`
		MaxKeys        int         `xml:"MaxKeys"`
		Delimiter      string      `xml:"Delimiter,omitempty"`
		EncodingType   string      `xml:"EncodingType,omitempty"`
		IsTruncated    bool        `xml:"IsTruncated"`
		Contents       []xmlObject `xml:"Contents"`
		CommonPrefixes []xmlPrefix `xml:"CommonPrefixes"`
	}{Xmlns: ns, Name: c.bucket, Prefix: lq.enc(lq.prefix), Marker: lq.enc(marker), MaxKeys: lq.max,
		Delimiter: lq.enc(lq.delimiter), EncodingType: c.query.Get("encoding-type"), IsTruncated: res.truncated}
	for i := range res.objects {
		doc.Contents = append(doc.Contents, s.toXMLObject(lq, &res.objects[i], true))
	}
	for _, p := range res.prefixes {
		doc.CommonPrefixes = append(doc.CommonPrefixes, xmlPrefix{lq.enc(p)})
	}
	if res.truncated && lq.delimiter != "" {
		doc.NextMarker = lq.enc(res.last)
	}
	return c.writeXML(http.StatusOK, doc)
}

func (s *Service) listObjectVersions(c *call) error {
	lq, e := parseListQuery(c.query)
	if e != nil {
		return e
	}
	keyMarker, vidMarker := c.query.Get("key-marker"), c.query.Get("version-id-marker")
	if vidMarker != "" && keyMarker == "" {
		return errInvalidArgument("A version-id marker cannot be specified without a key marker.").with("ArgumentName", "version-id-marker")
	}
	type entry struct {
		XMLName           xml.Name
		Key               string `xml:"Key"`
		VersionID         string `xml:"VersionId"`
		IsLatest          bool   `xml:"IsLatest"`
		LastModified      string `xml:"LastModified"`
		ETag              string `xml:"ETag,omitempty"`
		ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
		ChecksumType      string `xml:"ChecksumType,omitempty"`
		Size              *int64 `xml:"Size,omitempty"`
		StorageClass      string `xml:"StorageClass,omitempty"`
		Owner             owner  `xml:"Owner"`
	}
	doc := struct {
		XMLName             xml.Name    `xml:"ListVersionsResult"`
		Xmlns               string      `xml:"xmlns,attr"`
		Name                string      `xml:"Name"`
		Prefix              string      `xml:"Prefix"`
		KeyMarker           string      `xml:"KeyMarker"`
		VersionIDMarker     string      `xml:"VersionIdMarker"`
		NextKeyMarker       string      `xml:"NextKeyMarker,omitempty"`
		NextVersionIDMarker string      `xml:"NextVersionIdMarker,omitempty"`
		MaxKeys             int         `xml:"MaxKeys"`
		Delimiter           string      `xml:"Delimiter,omitempty"`
		EncodingType        string      `xml:"EncodingType,omitempty"`
		IsTruncated         bool        `xml:"IsTruncated"`
		Entries             []entry     `xml:",any"`
		CommonPrefixes      []xmlPrefix `xml:"CommonPrefixes"`
	}{Xmlns: ns, Name: c.bucket, Prefix: lq.enc(lq.prefix), KeyMarker: lq.enc(keyMarker), VersionIDMarker: vidMarker,
		MaxKeys: lq.max, Delimiter: lq.enc(lq.delimiter), EncodingType: c.query.Get("encoding-type")}
	own := s.owner()
	err := s.env.State.View(c.r.Context(), func(tx *state.Tx) error {
		if _, err := getBucket(tx, c.bucket); err != nil {
			return err
		}
		pos := ""
		resumedKey := ""
		switch {
		case keyMarker != "" && vidMarker != "":
			vs, err := versions(tx, c.bucket, keyMarker)
			if err != nil {
				return err
			}
			pos = versionPrefix(keyMarker) + skipPast
			for _, v := range vs {
				if v.VersionID == vidMarker {
					pos = versionKey(v.Key, v.Seq)
					resumedKey = keyMarker
				}
			}
		case keyMarker != "":
			pos = lq.markerPosition(keyMarker)
			if pos == keyMarker {
				pos = versionPrefix(keyMarker) + skipPast
			}
		}
		count, lastKey := 0, ""
		for {
			ents, err := tx.List(state.ListParams{NS: nsVersion(c.bucket), Prefix: lq.prefix, After: pos, Limit: listBatch})
			if err != nil {
				return err
			}
			requery := false
			for _, e := range ents {
				objKey, _, _ := strings.Cut(e.Key, "\x00")
				if count >= lq.max {
					doc.IsTruncated = true
					return nil
				}
				if cp, ok := lq.commonPrefix(objKey); ok {
					doc.CommonPrefixes = append(doc.CommonPrefixes, xmlPrefix{lq.enc(cp)})
					doc.NextKeyMarker, doc.NextVersionIDMarker = lq.enc(cp), ""
					pos = cp + skipPast
					count++
					requery = true
					break
				}
				var o Object
				if err := json.Unmarshal(e.Value, &o); err != nil {
					return err
				}
				latest := objKey != lastKey && objKey != resumedKey
				lastKey = objKey
				en := entry{Key: lq.enc(o.Key), VersionID: o.VersionID, IsLatest: latest, LastModified: isoTime(o.LastModified), Owner: own}
				if o.DeleteMarker {
					en.XMLName = xml.Name{Local: "DeleteMarker"}
				} else {
					size := o.Size
					en.XMLName = xml.Name{Local: "Version"}
					en.ETag, en.Size, en.StorageClass = o.ETag, &size, storageClassOf(&o)
					en.ChecksumAlgorithm, en.ChecksumType = o.ChecksumAlgorithm, o.ChecksumType
				}
				doc.Entries = append(doc.Entries, en)
				doc.NextKeyMarker, doc.NextVersionIDMarker = lq.enc(o.Key), o.VersionID
				pos = e.Key
				count++
			}
			if !requery && len(ents) < listBatch {
				return nil
			}
		}
	})
	if err != nil {
		return err
	}
	if !doc.IsTruncated {
		doc.NextKeyMarker, doc.NextVersionIDMarker = "", ""
	}
	return c.writeXML(http.StatusOK, doc)
}
