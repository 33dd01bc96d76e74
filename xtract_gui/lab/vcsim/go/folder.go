package main

// /folder: datastore files over HTTP as vCenter and ESXi serve them.  govmomi 0.24.2's own
// ServeDatastore finds dcPath with govmomi's finder (a bare datacenter name is found anywhere) and
// decodes query values once; real servers do neither:
//
//   - dcPath is the datacenter's inventory path from the root folder, parent folders included
//     ("Region-East/DC1"; a leading "/" is accepted, as govmomi's object/datastore.go FindInventoryPath
//     sends it).  A bare name finds only a datacenter in the root folder.  vSphere Web Services SDK
//     programming guide, "Datastore Access (/folder)"; rbvmomi pull 76 ("Uploads to datacenters inside
//     of a top level folder fail").  On ESXi dcPath is optional and means ha-datacenter.
//   - dcPath and dsName are URL-decoded twice, the second time as a form value ("+" is a space).
//     virt-v2v input/vCenter.ml (commit f13e85f9ce3bb51f65c0afbaae009b5a3e6af9c7, "double uri_encode
//     dcPath and dsName", after libvirt 6c9d2591c6 and Broadcom KB 386368); the vSphere client itself
//     sends dcPath=EP%2526T for a datacenter "EP&T" (cloudfoundry/bosh-vsphere-cpi-release issue 120);
//     photon-controller sends dcPath=ha%252ddatacenter to ESXi.  Inventory names keep "/" and "%" escaped
//     as %2f and %25 (vSphere API, Folder.CreateDatacenter), so after both decodings a name compares with
//     the stored, escaped name, and "/" separates path segments.
//   - authentication: vCenter wants its SOAP session cookie (vmware_soap_session); ESXi wants a
//     vmware_cgi_ticket from SessionManager.AcquireGenericServiceTicket, good for one request to the
//     URL it was issued for.
//   - a connection that carried a ticketed request serves no further request: govmomi stopped HTTP
//     keep-alive for ticketed ESX transfers because "the connection should only be used for a single
//     request" (commit a91eb5e593d31b62299451cb09fbe41902e61c98, pull 3249).
//   - Datastore.Browse on the datastore (privileges.go), checked on the vCenter path.
//
// Deviations: one listener stands for vCenter and every ESXi host, so a ticketed request (ESXi) finds
// dsName in any datacenter (the edge-case inventory keeps datastore names unique); what real ESXi
// answers to a second request on a ticketed connection is not documented: this peer answers 401 and
// keeps the connection open, so a client that reuses it fails loudly; only GET and HEAD are served
// here (PUT and POST go to the simulator's own handler).

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// twiceDecoded is a query value as vCenter's /folder sees it: Go already decoded the query once.
func twiceDecoded(q url.Values, key string) string {
	v := q.Get(key)
	if again, err := url.QueryUnescape(v); err == nil {
		return again
	}
	return v
}

// connState forgets connections once they close (their addresses are reused later).
func (h *interceptor) connState(c net.Conn, state http.ConnState) {
	if state == http.StateClosed || state == http.StateHijacked {
		h.mu.Lock()
		delete(h.ticketConns, c.RemoteAddr().String())
		h.mu.Unlock()
	}
}

func (h *interceptor) serveFolder(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	reused := h.ticketConns[r.RemoteAddr]
	h.mu.Unlock()
	if reused {
		h.count("folder_ticket_reused")
		http.Error(w, "a ticketed connection serves one request", http.StatusUnauthorized)
		return
	}
	if c, err := r.Cookie("vmware_cgi_ticket"); err == nil {
		h.mu.Lock()
		uri, ok := h.tickets[c.Value]
		delete(h.tickets, c.Value) // a ticket may be used only once
		if ok {
			h.ticketConns[r.RemoteAddr] = true
		}
		h.mu.Unlock()
		if !ok || uri != r.URL.RequestURI() {
			h.count("folder_denied")
			http.Error(w, "invalid or used service ticket", http.StatusUnauthorized)
			return
		}
		h.count("folder_ticket")
		h.serveDatastoreFile(w, r, true)
		return
	}
	if c, err := r.Cookie("vmware_soap_session"); err == nil && c.Value != "" &&
		(h.validSession == nil || h.validSession(c.Value)) {
		h.count("folder_session")
		h.serveDatastoreFile(w, r, false)
		return
	}
	h.count("folder_denied")
	http.Error(w, "authentication required", http.StatusUnauthorized)
}

func (h *interceptor) serveDatastoreFile(w http.ResponseWriter, r *http.Request, esxi bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.next.ServeHTTP(w, r)
		return
	}
	q := r.URL.Query()
	dcPath, dsName := twiceDecoded(q, "dcPath"), twiceDecoded(q, "dsName")
	var ds *simulator.Datastore
	if esxi && (dcPath == "" || dcPath == "ha-datacenter") {
		ds = datastoreAnywhere(dsName)
	} else if dc := datacenterByPath(dcPath); dc != nil {
		ds = datastoreIn(dc, dsName)
	}
	if ds == nil {
		h.count("folder_not_found")
		http.NotFound(w, r)
		return
	}
	if !esxi {
		if fault := permissions.missing(ds.Self, "Datastore.Browse"); fault != "" {
			h.count("folder_forbidden")
			http.Error(w, fault, http.StatusForbidden)
			return
		}
	}
	inner := r.Clone(r.Context())
	inner.URL.Path = "/" + strings.TrimPrefix(r.URL.Path, "/folder/")
	http.FileServer(http.Dir(ds.Info.GetDatastoreInfo().Url)).ServeHTTP(w, inner)
}

// datacenterByPath walks an inventory path from the root folder, comparing stored (escaped) names.
func datacenterByPath(p string) *simulator.Datacenter {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil
	}
	var current mo.Reference = simulator.Map.Get(rootFolder)
	for _, name := range strings.Split(p, "/") {
		folder, ok := current.(*simulator.Folder)
		if !ok {
			return nil
		}
		var next mo.Reference
		for _, ref := range folder.ChildEntity {
			if e, ok := simulator.Map.Get(ref).(mo.Entity); ok && e.Entity().Name == name {
				next = e
				break
			}
		}
		if next == nil {
			return nil
		}
		current = next
	}
	dc, _ := current.(*simulator.Datacenter)
	return dc
}

func datastoreIn(dc *simulator.Datacenter, name string) *simulator.Datastore {
	for _, e := range simulator.Map.All("Datastore") {
		ds := e.(*simulator.Datastore)
		if ds.Name == name && datacenterOf(ds) == dc.Self {
			return ds
		}
	}
	return nil
}

func datastoreAnywhere(name string) *simulator.Datastore {
	for _, e := range simulator.Map.All("Datastore") {
		if ds := e.(*simulator.Datastore); ds.Name == name {
			return ds
		}
	}
	return nil
}

// datacenterOf follows parents up to the datacenter holding an entity.
func datacenterOf(e mo.Entity) types.ManagedObjectReference {
	for i := 0; e != nil && i < 64; i++ {
		if e.Reference().Type == "Datacenter" {
			return e.Reference()
		}
		parent := e.Entity().Parent
		if parent == nil {
			break
		}
		e, _ = simulator.Map.Get(*parent).(mo.Entity)
	}
	return types.ManagedObjectReference{}
}
