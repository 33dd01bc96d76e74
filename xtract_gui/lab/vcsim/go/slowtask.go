package main

// Snapshot tasks that take a while and can be cancelled, for tests of task polling and CancelTask
// (the simulator's own tasks finish inside the call that starts them, and it has no CancelTask).
// With -slow-snapshot-ms N, CreateSnapshot_Task returns a running task at once (progress 10%);
// after N ms it takes the snapshot for real, unless CancelTask came first, in which case the task
// ends with RequestCanceled and nothing was created.  Other tasks cannot be cancelled (NotSupported).

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

var (
	slowSnapshot time.Duration
	slowMu       sync.Mutex
	slowCancel   = map[string]chan struct{}{} // task moref value → closed by CancelTask
)

func (h *interceptor) slowCreateSnapshot(w http.ResponseWriter, r *http.Request, this types.ManagedObjectReference,
	body []byte, req *types.CreateSnapshot_Task) {
	vm, ok := simulator.Map.Get(this).(*simulator.VirtualMachine)
	if !ok {
		writeFault(w, "ManagedObjectNotFound", "The object has already been deleted or has not been completely created", this.Value)
		return
	}
	cancel := make(chan struct{})
	header := r.Header.Clone()
	task := simulator.CreateTask(vm, "createSnapshot", func(t *simulator.Task) (types.AnyType, types.BaseMethodFault) {
		simulator.Map.Update(t, []types.PropertyChange{{Name: "info.progress", Val: int32(10)}})
		select {
		case <-cancel:
			return nil, &types.RequestCanceled{}
		case <-time.After(slowSnapshot):
		}
		inner := httptest.NewRequest(http.MethodPost, "/sdk", io.NopCloser(bytes.NewReader(body)))
		inner.Header = header
		rec := httptest.NewRecorder()
		h.hooked(rec, inner, this, req)
		if rec.Code != http.StatusOK || vm.Snapshot == nil || vm.Snapshot.CurrentSnapshot == nil {
			return nil, &types.SystemError{Reason: "snapshot failed"}
		}
		return *vm.Snapshot.CurrentSnapshot, nil
	})
	slowMu.Lock()
	slowCancel[task.Self.Value] = cancel
	slowMu.Unlock()
	go task.Run()
	writeBody(w, http.StatusOK, fmt.Sprintf(
		`<CreateSnapshot_TaskResponse xmlns="urn:vim25"><returnval type="Task">%s</returnval></CreateSnapshot_TaskResponse>`,
		task.Self.Value))
}

func (h *interceptor) cancelTask(w http.ResponseWriter, this types.ManagedObjectReference) {
	slowMu.Lock()
	cancel, ok := slowCancel[this.Value]
	delete(slowCancel, this.Value)
	slowMu.Unlock()
	if !ok {
		writeFault(w, "NotSupported", "The operation is not supported on the object.", "")
		return
	}
	close(cancel)
	h.count("cancelled_tasks")
	writeBody(w, http.StatusOK, `<CancelTaskResponse xmlns="urn:vim25"></CancelTaskResponse>`)
}
