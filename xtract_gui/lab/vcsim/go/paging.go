package main

// RetrievePropertiesEx paging, which govmomi 0.24.2 ignores (it answers every object at once):
// the simulator's full answer is cut into pages of options.maxObjects objects; the first page
// carries a token and ContinueRetrievePropertiesEx hands out the rest, as vCenter does.

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"sync"

	"github.com/google/uuid"
	"github.com/vmware/govmomi/vim25/types"
)

type remaining struct {
	objs [][]byte
	max  int // the page size the client asked for first
}

type pager struct {
	mu    sync.Mutex
	pages map[string]remaining // token → what is left
}

var retrievePager = &pager{pages: map[string]remaining{}}

// splitObjects returns the <objects> elements of a RetrievePropertiesEx answer, raw.
func splitObjects(body []byte) ([][]byte, bool) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	var objs [][]byte
	depth := 0
	var start int64
	for {
		off := dec.InputOffset()
		tok, err := dec.RawToken()
		if err == io.EOF {
			return objs, true
		}
		if err != nil {
			return nil, false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 5 && t.Name.Local == "objects" {
				start = off
			}
			if depth == 5 && t.Name.Local == "token" {
				return nil, false // already paged
			}
		case xml.EndElement:
			if depth == 5 && t.Name.Local == "objects" {
				objs = append(objs, body[start:dec.InputOffset()])
			}
			depth--
		}
	}
}

func (p *pager) page(w http.ResponseWriter, method string, objs [][]byte, max int) {
	var buf bytes.Buffer
	n := len(objs)
	if n > max {
		n = max
	}
	buf.WriteString("<" + method + `Response xmlns="urn:vim25"><returnval>`)
	for _, o := range objs[:n] {
		buf.Write(o)
	}
	if rest := objs[n:]; len(rest) > 0 {
		token := uuid.New().String()
		p.mu.Lock()
		p.pages[token] = remaining{rest, max}
		p.mu.Unlock()
		buf.WriteString("<token>" + token + "</token>")
	}
	buf.WriteString("</returnval></" + method + "Response>")
	writeBody(w, http.StatusOK, buf.String())
}

func (h *interceptor) retrievePropertiesEx(w http.ResponseWriter, r *http.Request, req *types.RetrievePropertiesEx) {
	max := int(req.Options.MaxObjects)
	rec := record(h.next, r)
	body := hideParent(rec.Body.Bytes()) // vApp VMs (vmstate.go)
	rec.Body = bytes.NewBuffer(body)
	objs, ok := splitObjects(body)
	if max <= 0 || rec.Code != http.StatusOK || !ok || len(objs) <= max {
		replay(w, rec)
		return
	}
	h.count("retrieve_paged")
	retrievePager.page(w, "RetrievePropertiesEx", objs, max)
}

func (h *interceptor) continueRetrieve(w http.ResponseWriter, req *types.ContinueRetrievePropertiesEx) {
	retrievePager.mu.Lock()
	rest, ok := retrievePager.pages[req.Token]
	delete(retrievePager.pages, req.Token)
	retrievePager.mu.Unlock()
	if !ok {
		writeFault(w, "InvalidArgument", "A specified parameter was not correct: token", "token")
		return
	}
	retrievePager.page(w, "ContinueRetrievePropertiesEx", rest.objs, rest.max)
}
