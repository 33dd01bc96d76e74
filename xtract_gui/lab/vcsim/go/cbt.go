package main

// Changed block tracking with vSphere's semantics, which govmomi 0.24.2 lacks.
//
// At every snapshot of a VM with changeTrackingEnabled, each disk gets a new changeId
// ("52 de c0 …-… /N") and a record of one SHA-1 per 64 KiB block of its flat file as it is at
// that moment, with whether the block is allocated in the file (not a hole).  QueryChangedDiskAreas
// (cbtquery.go) compares the snapshot's record with the record of changeId, merges changed blocks
// into runs, and answers at most cbt.maxAreas runs per call; DiskChangeInfo.length says which range the
// answer covers so that clients loop on startOffset.
//
// changeId "*" answers the allocated blocks, not merely the non-zero ones: "The current implementation
// depends on VMFS properties ... Both rely on unallocated areas (file holes) in virtual disk, and the
// LazyZero designation for VMFS blocks" (VDDK programming guide, "About Changed Block Tracking").  A
// block the guest wrote zeros to is allocated and reported.
//
// Resets that do not fault, as real CBT has them:
//   - POST /xtract/cbt?vm=<moref>&disk=<key>&silentReset=true: the disk's tracking starts over under
//     a new changeId UUID (the part before "/"), as after a CBT reset of a running VM.  A query with a
//     changeId of the old UUID is not refused: it answers what changed since the reset, missing what
//     changed before it.  Clients must compare the UUID parts (vexxhost/migratekit
//     internal/target/util.go, commit 1c9a05e8c80fc876d9adf723139c7c3c803574d7: "Change ID mismatch,
//     full copy needed").
//   - A disk extended with ReconfigVM keeps its changeIds, and a query with one from before the extend
//     reports nothing in the added range (VMware KB 2090639: "QueryChangedDiskAreas API returns incorrect
//     sectors after extending virtual machine VMDK file with CBT enabled").
//
// Data freezing: the simulator keeps one flat file per disk, the base disk.  A snapshot records
// the block hashes of that file when it is taken, so CBT answers are exactly "as of the
// snapshot"; reads of the flat file are of the live file.  Tests therefore change disk data
// only while the VM has no snapshot (between a snapshot's removal and the next one), which is
// also how the migration engine cycles (snapshot → query → copy → remove).  The disk backings do
// follow vSphere's chain: while snapshots exist the VM runs on "<disk>-00000N.vmdk" deltas whose
// parent chain ends at the base, and each snapshot's config names the disk as it was.  RDM disks are
// left out of the chain and of CBT here.

import (
	"crypto/rand"
	"crypto/sha1"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

const blockSize = 64 * 1024

type blockHash struct {
	sum       [sha1.Size]byte
	zero      bool
	allocated bool // the flat file has data (not a hole) in this block
}

type diskCBT struct {
	prefix string                 // the UUID part of this disk's changeIds
	seq    int                    // the /N part of the newest changeId
	epochs map[string][]blockHash // changeId → block hashes when it was issued
	// After a silent reset: the UUID parts tracking had before, and the blocks as of the reset, which
	// queries with such an old changeId are (wrongly) answered against.
	previous map[string]bool
	baseline []blockHash
}

type cbtState struct {
	mu       sync.Mutex
	disks    map[string]*diskCBT // "<vm moref>/<disk key>"
	maxAreas int
}

var cbt = &cbtState{disks: map[string]*diskCBT{}, maxAreas: 64}

func newChangeIDPrefix() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[0], b[1] = 0x52, 0xde
	parts := make([]string, 16)
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02x", x)
	}
	return strings.Join(parts[:8], " ") + "-" + strings.Join(parts[8:], " ")
}

func hashFile(path string, capacity int64) ([]blockHash, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n := (capacity + blockSize - 1) / blockSize
	out := make([]blockHash, n)
	buf := make([]byte, blockSize)
	for i := int64(0); i < n; i++ {
		want := blockSize
		if rest := capacity - i*blockSize; rest < blockSize {
			want = int(rest)
		}
		got, err := f.ReadAt(buf[:want], i*blockSize)
		if err != nil && err != io.EOF {
			return nil, err
		}
		for j := got; j < want; j++ {
			buf[j] = 0 // past the end of a short file reads as zeros, like a thin disk
		}
		zero := true
		for _, c := range buf[:want] {
			if c != 0 {
				zero = false
				break
			}
		}
		out[i] = blockHash{sum: sha1.Sum(buf[:want]), zero: zero}
	}
	return out, markAllocated(f, out)
}

// markAllocated flags the blocks holding file data (SEEK_DATA/SEEK_HOLE), as VMFS knows its allocated
// blocks; a file system without hole reporting shows the whole file as data.
func markAllocated(f *os.File, blocks []blockHash) error {
	const seekData, seekHole = 3, 4
	fd := int(f.Fd())
	for pos := int64(0); ; {
		data, err := syscall.Seek(fd, pos, seekData)
		if err == syscall.ENXIO {
			return nil // no data after pos
		}
		if err != nil {
			return err
		}
		hole, err := syscall.Seek(fd, data, seekHole)
		if err != nil {
			return err
		}
		for i := data / blockSize; i < int64(len(blocks)) && i*blockSize < hole; i++ {
			blocks[i].allocated = true
		}
		pos = hole
	}
}

// baseBacking walks a disk backing's parent chain to the base disk.
func baseBacking(b *types.VirtualDiskFlatVer2BackingInfo) *types.VirtualDiskFlatVer2BackingInfo {
	for b.Parent != nil {
		b = b.Parent
	}
	return b
}

func copyBacking(b *types.VirtualDiskFlatVer2BackingInfo) *types.VirtualDiskFlatVer2BackingInfo {
	c := *b
	if b.Parent != nil {
		c.Parent = copyBacking(b.Parent)
	}
	return &c
}

// snapshotDepth is how many snapshots lie on the path from the root to the current one.
func snapshotDepth(vm *simulator.VirtualMachine) int {
	if vm.Snapshot == nil || vm.Snapshot.CurrentSnapshot == nil {
		return 0
	}
	var walk func(list []types.VirtualMachineSnapshotTree, depth int) int
	walk = func(list []types.VirtualMachineSnapshotTree, depth int) int {
		for _, t := range list {
			if t.Snapshot == *vm.Snapshot.CurrentSnapshot {
				return depth + 1
			}
			if d := walk(t.ChildSnapshotList, depth+1); d > 0 {
				return d
			}
		}
		return 0
	}
	return walk(vm.Snapshot.RootSnapshotList, 0)
}

// rechain points the VM's disks at a chain of depth deltas over their base disk.
func rechain(vm *simulator.VirtualMachine) {
	depth := snapshotDepth(vm) + vmState.orphans(vm.Self.Value) // failed consolidations left deltas (vmstate.go)
	for _, d := range vm.Config.Hardware.Device {
		disk, ok := d.(*types.VirtualDisk)
		if !ok {
			continue
		}
		cur, flat := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
		if !flat {
			continue // RDM: not chained here
		}
		if mode := cur.DiskMode; strings.HasPrefix(mode, "independent") {
			continue // independent disks are left out of snapshots
		}
		base := copyBacking(baseBacking(cur))
		base.Parent = nil
		b := base
		for n := 1; n <= depth; n++ {
			child := *base
			child.FileName = strings.TrimSuffix(base.FileName, ".vmdk") + fmt.Sprintf("-%06d.vmdk", n)
			child.Parent = b
			child.ChangeId = cur.ChangeId
			b = &child
		}
		b.ChangeId = cur.ChangeId
		disk.Backing = b
	}
}

// afterSnapshot runs once CreateSnapshot_Task has succeeded: the new snapshot keeps its own copy
// of the disk devices (govmomi shares them with the VM), disks get new changeIds and block
// records, and the VM moves onto new deltas.
func afterSnapshot(vm *simulator.VirtualMachine) error {
	if vm.Snapshot == nil || vm.Snapshot.CurrentSnapshot == nil {
		return nil
	}
	snap, ok := simulator.Map.Get(*vm.Snapshot.CurrentSnapshot).(*simulator.VirtualMachineSnapshot)
	if !ok {
		return nil
	}
	devices := make([]types.BaseVirtualDevice, len(snap.Config.Hardware.Device))
	for i, d := range snap.Config.Hardware.Device {
		devices[i] = d
		disk, ok := d.(*types.VirtualDisk)
		if !ok {
			continue
		}
		flatBacking, flat := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
		if !flat {
			continue // RDM: the snapshot shares the device, CBT leaves it out
		}
		c := *disk
		b := copyBacking(flatBacking)
		c.Backing = b
		devices[i] = &c
		if !isTrue(vm.Config.ChangeTrackingEnabled) || strings.HasPrefix(b.DiskMode, "independent") {
			continue
		}
		id, err := cbt.record(vm.Self.Value, disk.Key, baseBacking(b).FileName, c.CapacityInBytes)
		if err != nil {
			return err
		}
		b.ChangeId = id
		disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo).ChangeId = id
	}
	hw := snap.Config.Hardware
	hw.Device = devices
	snap.Config.Hardware = hw
	rechain(vm)
	return nil
}

func isTrue(b *bool) bool { return b != nil && *b }

func (s *cbtState) record(vm string, key int32, descriptor string, capacity int64) (string, error) {
	file, err := datastoreFile(descriptor)
	if err != nil {
		return "", err
	}
	hashes, err := hashFile(flatFile(file), capacity)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := fmt.Sprintf("%s/%d", vm, key)
	d := s.disks[k]
	if d == nil {
		d = &diskCBT{prefix: newChangeIDPrefix(), epochs: map[string][]blockHash{}}
		s.disks[k] = d
	}
	d.seq++
	id := fmt.Sprintf("%s/%d", d.prefix, d.seq)
	d.epochs[id] = hashes
	return id, nil
}

// reset forgets every changeId of a VM, as turning changeTracking off does.
func (s *cbtState) reset(vm *simulator.VirtualMachine) {
	s.mu.Lock()
	for k := range s.disks {
		if strings.HasPrefix(k, vm.Self.Value+"/") {
			delete(s.disks, k)
		}
	}
	s.mu.Unlock()
	for _, d := range vm.Config.Hardware.Device {
		if disk, ok := d.(*types.VirtualDisk); ok {
			b, _ := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
			for ; b != nil; b = b.Parent {
				b.ChangeId = ""
			}
		}
	}
}

