package main

// The edge-case inventory (-edge-cases): a second datacenter shaped like the places where customers'
// vCenters differ from the default model.  DC0 and its VMs stay exactly as without the flag.
//
//	folder "Region East" in the root folder
//	  datacenter "East+1%2fA" (shown as "East+1/A": inventory names keep "/" escaped as %2f)
//	    datastore "Local DS+East"; datastore "vsanDatastore" (summary.type vsan) on host DC1_H0
//	    DC1_C0_RP0_VM0  in the vApp "Billing+App": parent unset, parentVApp set (vmstate.go)
//	    DC1_C0_RP0_VM1  encrypted: config.keyId and the disk's keyId set, its descriptor carries an
//	                    encryptionKeys line (govmomi vmdk/descriptor_test.go), and the flat file holds
//	                    ciphertext, which is what /folder serves of an encrypted disk
//	    DC1_H0_VM0      disk1 is a virtual-mode RDM: RawDiskMappingVer1BackingInfo, descriptor
//	                    createType="vmfsRawDeviceMap" with one VMFSRDM extent "<disk>-rdm.vmdk" (as in
//	                    kubev2v/forklift cmd/vsphere-copy-offload-populator/vmkfstools-wrapper/testdata/rdmfile,
//	                    commit d42511bb28a605af9303b097333baa61d6c74a00) and no flat file
//	    DC1_H0_VM1      disk1 lives on vsanDatastore; its descriptor names a vsan:// object instead of a
//	                    flat file
//
// Deviations: the vSAN descriptor's object URI is modelled on what vSAN writes (a "vsan://<uuid>" extent),
// not taken from a capture; the RDM's mapping file and the encryption's key server do not exist; the
// ciphertext is a keyed XOR stream, not AES-XTS.

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"
)

const (
	edgeFolder     = "Region East"
	edgeDatacenter = "East+1%2fA"
	edgeDatastore  = "Local DS+East"
	edgeVApp       = "Billing+App"
	vsanDatastore  = "vsanDatastore"
)

// prepareEdgeInventory renames the second datacenter's folder, datacenter and datastore before the
// disks are written (the VPX model puts DC1 into folder F0 when Model.Folder is 1).
func prepareEdgeInventory() error {
	var dc *simulator.Datacenter
	for _, e := range simulator.Map.All("Datacenter") {
		if d := e.(*simulator.Datacenter); d.Name == "DC1" {
			dc = d
		}
	}
	if dc == nil || dc.Parent == nil || *dc.Parent == rootFolder {
		return fmt.Errorf("the edge-case inventory needs DC1 inside a folder")
	}
	folder := simulator.Map.Get(*dc.Parent).(*simulator.Folder)
	folder.Name = edgeFolder
	dc.Name = edgeDatacenter
	for _, e := range simulator.Map.All("Datastore") {
		ds := e.(*simulator.Datastore)
		if datacenterOf(ds) != dc.Self {
			continue
		}
		old := ds.Name
		ds.Name, ds.Summary.Name = edgeDatastore, edgeDatastore
		ds.Info.GetDatastoreInfo().Name = edgeDatastore
		for _, vmRef := range ds.Vm {
			renameDatastoreInVM(simulator.Map.Get(vmRef).(*simulator.VirtualMachine), old, edgeDatastore)
		}
	}
	return nil
}

func renameDatastoreInVM(vm *simulator.VirtualMachine, old, name string) {
	fix := func(s string) string { return strings.Replace(s, "["+old+"]", "["+name+"]", 1) }
	vm.Config.Files.VmPathName = fix(vm.Config.Files.VmPathName)
	vm.Config.Files.LogDirectory = fix(vm.Config.Files.LogDirectory)
	vm.Config.Files.SnapshotDirectory = fix(vm.Config.Files.SnapshotDirectory)
	vm.Config.Files.SuspendDirectory = fix(vm.Config.Files.SuspendDirectory)
	vm.Summary.Config.VmPathName = fix(vm.Summary.Config.VmPathName)
	for _, d := range vm.Config.Hardware.Device {
		if disk, ok := d.(*types.VirtualDisk); ok {
			info := disk.Backing.(types.BaseVirtualDeviceFileBackingInfo).GetVirtualDeviceFileBackingInfo()
			info.FileName = fix(info.FileName)
		}
	}
	if vm.Layout != nil {
		for i := range vm.Layout.ConfigFile {
			vm.Layout.ConfigFile[i] = fix(vm.Layout.ConfigFile[i])
		}
	}
	if vm.LayoutEx != nil {
		for i := range vm.LayoutEx.File {
			vm.LayoutEx.File[i].Name = fix(vm.LayoutEx.File[i].Name)
		}
	}
}

// shapeEdgeVMs gives the second datacenter's VMs their special states, once their disks exist.
func shapeEdgeVMs(model *simulator.Model) error {
	ctx := context.Background()
	c, err := vim25.NewClient(ctx, model.Service)
	if err != nil {
		return err
	}
	byName := map[string]*simulator.VirtualMachine{}
	var names []string
	for _, e := range simulator.Map.All("VirtualMachine") {
		vm := e.(*simulator.VirtualMachine)
		if strings.HasPrefix(vm.Name, "DC1_") {
			byName[vm.Name] = vm
			names = append(names, vm.Name)
		}
	}
	sort.Strings(names)
	if len(names) < 4 {
		return fmt.Errorf("the edge-case inventory needs 4 VMs in DC1, found %d", len(names))
	}
	steps := []func(context.Context, *vim25.Client, *simulator.VirtualMachine) error{
		intoVApp, encrypt, toVirtualRDM, ontoVSAN}
	for i, step := range steps {
		if err := step(ctx, c, byName[names[i]]); err != nil {
			return fmt.Errorf("%s: %w", names[i], err)
		}
	}
	return nil
}

func intoVApp(ctx context.Context, c *vim25.Client, vm *simulator.VirtualMachine) error {
	pool := object.NewResourcePool(c, *vm.ResourcePool)
	vapp, err := pool.CreateVApp(ctx, edgeVApp, types.DefaultResourceConfigSpec(), simulator.NewVAppConfigSpec(), nil)
	if err != nil {
		return err
	}
	ref := vapp.Reference()
	var va *simulator.VirtualApp
	simulator.Map.WithLock(vm, func() {
		old := simulator.Map.Get(*vm.ResourcePool).(*simulator.ResourcePool)
		for i, r := range old.Vm {
			if r == vm.Self {
				old.Vm = append(old.Vm[:i:i], old.Vm[i+1:]...)
				break
			}
		}
		vm.ResourcePool, vm.ParentVApp = &ref, &ref
		va = simulator.Map.Get(ref).(*simulator.VirtualApp)
		va.Vm = append(va.Vm, vm.Self)
	})
	vmState.mu.Lock()
	vmState.hiddenParents[vm.Self.Value] = true
	vmState.mu.Unlock()
	return nil
}

func firstDisk(vm *simulator.VirtualMachine) *types.VirtualDisk {
	for _, d := range vm.Config.Hardware.Device {
		if disk, ok := d.(*types.VirtualDisk); ok {
			return disk
		}
	}
	return nil
}

func encrypt(_ context.Context, _ *vim25.Client, vm *simulator.VirtualMachine) error {
	disk := firstDisk(vm)
	b := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
	key := types.CryptoKeyId{KeyId: "8d8c3e5a-6f2b-4b53-9a7e-" + vm.Self.Value, ProviderId: &types.KeyProviderId{Id: "kms-east"}}
	vm.Config.KeyId = &key
	b.KeyId = &key
	descPath, err := datastoreFile(b.FileName)
	if err != nil {
		return err
	}
	header := fmt.Sprintf("encryptionKeys=\"vmware:key/fqid/%s/kms%%2deast/%s\"\n", vm.Self.Value, key.KeyId)
	desc := descriptor(disk.CapacityInBytes, "vmfs", "VMFS", path.Base(flatFile(descPath)), "pvscsi", disk.Key, header)
	if err := os.WriteFile(descPath, []byte(desc), 0o644); err != nil {
		return err
	}
	// What is stored (and what /folder serves) is ciphertext: no byte of the plain disk survives.
	plain, err := os.ReadFile(flatFile(descPath))
	if err != nil {
		return err
	}
	stream := sha256.Sum256([]byte(key.KeyId))
	for i := range plain {
		plain[i] ^= stream[i%len(stream)] ^ byte(i>>5) | 0x80
	}
	return os.WriteFile(flatFile(descPath), plain, 0o644)
}

func toVirtualRDM(_ context.Context, _ *vim25.Client, vm *simulator.VirtualMachine) error {
	disk := firstDisk(vm)
	flat := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
	disk.Backing = &types.VirtualDiskRawDiskMappingVer1BackingInfo{
		VirtualDeviceFileBackingInfo: flat.VirtualDeviceFileBackingInfo,
		LunUuid:                      "0200000000600a0980383046" + fmt.Sprintf("%08x", disk.Key),
		DeviceName:                   "/vmfs/devices/disks/naa.600a098038304630" + fmt.Sprintf("%08x", disk.Key),
		CompatibilityMode:            string(types.VirtualDiskCompatibilityModeVirtualMode),
		DiskMode:                     string(types.VirtualDiskModePersistent),
		Uuid:                         flat.Uuid,
	}
	descPath, err := datastoreFile(flat.FileName)
	if err != nil {
		return err
	}
	rdm := strings.TrimSuffix(path.Base(descPath), ".vmdk") + "-rdm.vmdk"
	desc := descriptor(disk.CapacityInBytes, "vmfsRawDeviceMap", "VMFSRDM", rdm, "lsilogic", disk.Key, "")
	if err := os.WriteFile(descPath, []byte(desc), 0o644); err != nil {
		return err
	}
	return os.Remove(flatFile(descPath)) // the data is on the LUN, not in a flat file
}

func ontoVSAN(ctx context.Context, c *vim25.Client, vm *simulator.VirtualMachine) error {
	host := object.NewHostSystem(c, *vm.Runtime.Host)
	dss, err := host.ConfigManager().DatastoreSystem(ctx)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "xtract-vcsim-vsan-")
	if err != nil {
		return err
	}
	cleanups = append(cleanups, func() { _ = os.RemoveAll(dir) })
	created, err := dss.CreateLocalDatastore(ctx, vsanDatastore, dir)
	if err != nil {
		return err
	}
	ds := simulator.Map.Get(created.Reference()).(*simulator.Datastore)
	ds.Summary.Type = "vsan"
	disk := firstDisk(vm)
	b := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
	oldDesc, err := datastoreFile(b.FileName)
	if err != nil {
		return err
	}
	objectUUID := fmt.Sprintf("52%030x", sha256.Sum256([]byte(vm.Name)))[:32]
	b.FileName = fmt.Sprintf("[%s] %s/%s", vsanDatastore, objectUUID[:8], path.Base(oldDesc))
	ref := ds.Self
	b.Datastore = &ref
	vm.Datastore = append(vm.Datastore, ref)
	ds.Vm = append(ds.Vm, vm.Self)
	newDesc := filepath.Join(dir, objectUUID[:8], path.Base(oldDesc))
	if err := os.MkdirAll(filepath.Dir(newDesc), 0o755); err != nil {
		return err
	}
	desc := descriptor(disk.CapacityInBytes, "vmfs", "VMFS", "vsan://"+objectUUID, "pvscsi", disk.Key, "")
	if err := os.WriteFile(newDesc, []byte(desc), 0o644); err != nil {
		return err
	}
	_ = os.Remove(flatFile(oldDesc))
	return os.Remove(oldDesc)
}
