package main

// An http.Handler in front of the simulator's own mux.  It adds what govmomi 0.24.2 does not
// have without wrapping VirtualMachine objects in the registry (the simulator's own code
// type-asserts *simulator.VirtualMachine in many places, so wrappers would break snapshots):
//
//   - QueryChangedDiskAreas and AcquireGenericServiceTicket answered here, RetrievePropertiesEx paged
//     (paging.go), slow cancellable snapshot tasks and CancelTask (slowtask.go);
//   - CreateSnapshot/RemoveSnapshot/RevertToSnapshot/RemoveAllSnapshots/ReconfigVM passed to the
//     simulator, then followed by the CBT bookkeeping of cbt.go;
//   - /folder served as vCenter and ESXi serve it (folder.go): a session cookie (vmware_soap_session;
//     with -check-folder-session a live one) or a single-use service ticket (vmware_cgi_ticket) for
//     that very URL, inventory-path dcPath, query values decoded twice;
//   - GET /xtract/stats reports how /folder was used, so tests can tell which path a reader took.
//   - SOAP answers are buffered and their byte arrays re-encoded as vSphere does (hostcert.go's
//     fixByteArrays: HostConfigInfo.certificate), which govmomi 0.24.2 writes as one text element.

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"

	"github.com/google/uuid"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

type interceptor struct {
	next       http.Handler
	datacenter string
	thumbprint string

	hooks sync.Mutex // serialises snapshot/reconfigure calls with their CBT bookkeeping

	validSession func(id string) bool // nil: any non-empty session cookie opens /folder

	mu          sync.Mutex
	tickets     map[string]string // ticket id → request URI it was issued for
	ticketConns map[string]bool   // remote address of an open connection that carried a ticketed request
	stats       map[string]int
}

func newInterceptor(next http.Handler, datacenter, thumbprint string) *interceptor {
	return &interceptor{next: next, datacenter: datacenter, thumbprint: thumbprint,
		tickets: map[string]string{}, ticketConns: map[string]bool{}, stats: map[string]int{}}
}

func (h *interceptor) count(key string) {
	h.mu.Lock()
	h.stats[key]++
	h.mu.Unlock()
}

func (h *interceptor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/xtract/stats":
		h.mu.Lock()
		body, _ := json.Marshal(h.stats)
		h.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	case len(r.URL.Path) >= 8 && r.URL.Path[:8] == "/folder/":
		h.serveFolder(w, r)
	case r.URL.Path == "/sdk" && r.Method == http.MethodPost:
		// Buffered so that byte arrays (HostConfigInfo.certificate) go out as vSphere encodes them.
		rec := httptest.NewRecorder()
		h.serveSDK(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		body := fixByteArrays(rec.Body.Bytes())
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	default:
		h.next.ServeHTTP(w, r)
	}
}

func (h *interceptor) serveSDK(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if fetchHiddenParent(w, body) {
		return
	}
	method, err := simulator.UnmarshalBody(types.TypeFunc(), body)
	if err != nil {
		h.next.ServeHTTP(w, r)
		return
	}
	switch req := method.Body.(type) {
	case *types.QueryChangedDiskAreas:
		h.queryChangedDiskAreas(w, r, req)
	case *types.AcquireGenericServiceTicket:
		h.acquireTicket(w, r, req)
	case *types.CreateSnapshot_Task:
		if hasSession(r) && !h.checkPrivilege(w, method.This, req) {
			return
		}
		if slowSnapshot > 0 && hasSession(r) {
			h.slowCreateSnapshot(w, r, method.This, body, req)
		} else {
			h.hooked(w, r, method.This, req)
		}
	case *types.CancelTask:
		h.cancelTask(w, method.This)
	case *types.RetrievePropertiesEx:
		h.retrievePropertiesEx(w, r, req)
	case *types.ContinueRetrievePropertiesEx:
		h.continueRetrieve(w, req)
	case *types.RetrieveProperties:
		rec := record(h.next, r)
		rec.Body = bytes.NewBuffer(hideParent(rec.Body.Bytes()))
		replay(w, rec)
	case *types.RemoveSnapshot_Task, *types.RevertToSnapshot_Task,
		*types.RemoveAllSnapshots_Task, *types.RevertToCurrentSnapshot_Task, *types.ReconfigVM_Task:
		if hasSession(r) && !h.checkPrivilege(w, method.This, req) {
			return
		}
		h.hooked(w, r, method.This, req)
	case *types.ConsolidateVMDisks_Task:
		h.consolidate(w, method.This)
	case *types.ShutdownGuest, *types.RebootGuest, *types.StandbyGuest:
		if !toolsUnavailable(w, method.This) {
			h.next.ServeHTTP(w, r)
		}
	case *types.HasPrivilegeOnEntities:
		h.hasPrivilegeOnEntities(w, req)
	case *types.SetEntityPermissions, *types.RemoveEntityPermission:
		h.permissionCall(w, r, req)
	default:
		h.next.ServeHTTP(w, r)
	}
}

// record runs the simulator's own handler into a buffer, so its answer can be looked at first.
func record(next http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	return rec
}

func replay(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length") // a rewritten body has another length
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (h *interceptor) hooked(w http.ResponseWriter, r *http.Request, this types.ManagedObjectReference, req interface{}) {
	h.hooks.Lock()
	defer h.hooks.Unlock()
	var vm *simulator.VirtualMachine
	switch o := simulator.Map.Get(this).(type) {
	case *simulator.VirtualMachine:
		vm = o
	case *simulator.VirtualMachineSnapshot:
		vm, _ = simulator.Map.Get(o.Vm).(*simulator.VirtualMachine)
	}
	depth := 0
	if vm != nil {
		simulator.Map.WithLock(vm, func() { depth = snapshotDepth(vm) })
	}
	rec := record(h.next, r)
	// Tasks of this simulator run to completion inside the call, so the state is final here.
	if vm != nil && rec.Code == http.StatusOK && hasSession(r) {
		var err error
		simulator.Map.WithLock(vm, func() {
			switch req.(type) {
			case *types.CreateSnapshot_Task:
				err = afterSnapshot(vm)
			case *types.ReconfigVM_Task:
				if !isTrue(vm.Config.ChangeTrackingEnabled) {
					cbt.reset(vm)
				}
				err = growDisks(vm)
			case *types.RemoveSnapshot_Task:
				afterRemoveSnapshot(vm, depth)
			default:
				rechain(vm)
			}
		})
		if err != nil {
			writeFault(w, "SystemError", "disk bookkeeping failed: "+err.Error(), "")
			return
		}
	}
	replay(w, rec)
}

func hasSession(r *http.Request) bool {
	c, err := r.Cookie("vmware_soap_session")
	return err == nil && c.Value != ""
}

func (h *interceptor) queryChangedDiskAreas(w http.ResponseWriter, r *http.Request, req *types.QueryChangedDiskAreas) {
	if !hasSession(r) {
		writeFault(w, "NotAuthenticated", "The session is not authenticated.", "")
		return
	}
	vm, ok := simulator.Map.Get(req.This).(*simulator.VirtualMachine)
	if !ok {
		writeFault(w, "ManagedObjectNotFound", "The object has already been deleted or has not been completely created", req.This.Value)
		return
	}
	if req.Snapshot == nil {
		writeFault(w, "InvalidArgument", "A specified parameter was not correct: snapshot", "snapshot")
		return
	}
	snap, ok := simulator.Map.Get(*req.Snapshot).(*simulator.VirtualMachineSnapshot)
	if !ok {
		writeFault(w, "ManagedObjectNotFound", "The object has already been deleted or has not been completely created", req.Snapshot.Value)
		return
	}
	var info *types.DiskChangeInfo
	var fault *cbtFault
	simulator.Map.WithLock(vm, func() { info, fault = cbt.query(vm, snap, req.DeviceKey, req.StartOffset, req.ChangeId) })
	if fault != nil {
		writeFault(w, fault.kind, fault.text, fault.field)
		return
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<QueryChangedDiskAreasResponse xmlns="urn:vim25"><returnval><startOffset>%d</startOffset><length>%d</length>`,
		info.StartOffset, info.Length)
	for _, a := range info.ChangedArea {
		fmt.Fprintf(&buf, `<changedArea><start>%d</start><length>%d</length></changedArea>`, a.Start, a.Length)
	}
	buf.WriteString(`</returnval></QueryChangedDiskAreasResponse>`)
	writeBody(w, http.StatusOK, buf.String())
}

func (h *interceptor) acquireTicket(w http.ResponseWriter, r *http.Request, req *types.AcquireGenericServiceTicket) {
	if !hasSession(r) {
		writeFault(w, "NotAuthenticated", "The session is not authenticated.", "")
		return
	}
	spec, ok := req.Spec.(*types.SessionManagerHttpServiceRequestSpec)
	if !ok {
		writeFault(w, "InvalidArgument", "A specified parameter was not correct: spec", "spec")
		return
	}
	u, err := url.Parse(spec.Url)
	if err != nil {
		writeFault(w, "InvalidArgument", "A specified parameter was not correct: spec.url", "spec.url")
		return
	}
	id := uuid.New().String()
	h.mu.Lock()
	h.tickets[id] = u.RequestURI()
	h.mu.Unlock()
	thumb := ""
	if h.thumbprint != "" {
		thumb = "<sslThumbprint>" + h.thumbprint + "</sslThumbprint>"
	}
	writeBody(w, http.StatusOK, fmt.Sprintf(
		`<AcquireGenericServiceTicketResponse xmlns="urn:vim25"><returnval><id>%s</id><hostName>%s</hostName>%s</returnval></AcquireGenericServiceTicketResponse>`,
		id, xmlEscape(u.Hostname()), thumb))
}

func writeFault(w http.ResponseWriter, kind, text, field string) {
	detail := ""
	switch kind {
	case "FileFault":
		detail = "<file>" + xmlEscape(field) + "</file>"
	case "InvalidArgument":
		detail = "<invalidProperty>" + xmlEscape(field) + "</invalidProperty>"
	case "ManagedObjectNotFound":
		detail = "<obj type=\"ManagedEntity\">" + xmlEscape(field) + "</obj>"
	case "NotAuthenticated":
		detail = "<object type=\"SessionManager\">SessionManager</object><privilegeId>System.View</privilegeId>"
	}
	writeBody(w, http.StatusInternalServerError, fmt.Sprintf(
		`<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>%s</faultstring><detail><%sFault xmlns="urn:vim25" xsi:type="%s">%s</%sFault></detail></soapenv:Fault>`,
		xmlEscape(text), kind, kind, detail, kind))
}

func writeBody(w http.ResponseWriter, status int, inner string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `%s<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>%s</soapenv:Body></soapenv:Envelope>`,
		xml.Header, inner)
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
