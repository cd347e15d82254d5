// Named shared-memory segments: open (create / create-exclusive / attach), map as a real
// SharedArrayBuffer (one mapping per process for segments opened with kShare), explicit close (private zero
// pages swapped in at the last close), unlink.
//
// Node-API everywhere except SharedArrayBuffer creation, which Node-API cannot do on Node 20: there the
// raw V8 API wraps the mapping in a backing store whose deleter unmaps it.
#include "common.h"

#include <v8.h>

#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <functional>
#include <mutex>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>

namespace multiproc {

namespace {

// One mmap of a segment in this process. Handles (ids) share a region when opened with kShare: a second
// attach of the same file (same device and inode) in this process, from any thread, gets the region already
// mapped, so its pages are faulted in once per process. A region swaps in zero pages when its last handle
// closes, and is unmapped when the last SharedArrayBuffer over it is collected.
struct Region {
  void* address;
  size_t length;
  dev_t device;
  ino_t inode;
  bool shared;     // listed in sharedRegions (only while it has open handles)
  uint32_t open;   // handles not closed
  uint32_t buffers;  // SharedArrayBuffers (backing stores) not yet collected
  bool releasing;  // queued for the releaser, which unmaps it too if its buffers went meanwhile
};

struct Mapping {
  Region* region;
  bool closed;
  // Bytes reported to V8 for this handle: the region's length for the handle that mapped it, 0 for a handle
  // that reused a mapping (it adds no memory, and reporting it again would only provoke collections).
  size_t reported;
  // An attach with kShare: when it is the last to close, the releaser thread swaps the pages out, not the
  // closing thread. The creator's last close swaps them itself (at release, where the caller expects it).
  bool deferred;
  std::shared_ptr<std::atomic<int64_t>> pendingRelease;
};

struct InodeKey {
  dev_t device;
  ino_t inode;
  bool operator==(const InodeKey& other) const { return device == other.device && inode == other.inode; }
};

struct InodeHash {
  size_t operator()(const InodeKey& key) const {
    return std::hash<uint64_t>()(static_cast<uint64_t>(key.inode) * 31u + static_cast<uint64_t>(key.device));
  }
};

std::mutex mappingsMutex;
std::unordered_map<uint32_t, Mapping> mappings;
// A live region keeps its file's inode alive, so (device, inode) cannot name another file meanwhile.
std::unordered_map<InodeKey, Region*, InodeHash> sharedRegions;
uint32_t nextMappingId = 1;

enum OpenFlags { kShare = 1, kReserved = 2, kUnreported = 4 };

// The releaser: one thread per process that swaps zero pages over the store's released mappings. The last
// close of a mapping whose segment was unlinked frees the segment's pages, about 0.7 ms per 4 MiB with one
// thread running and two to three times that while other threads of the process run (TLB shootdowns); here
// it leaves the closing thread (a worker sweeping between two tasks) at once. Made once and never
// destroyed: it is still waiting when the process exits.
struct Releaser {
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Region*> queue;
  bool started = false;
};
Releaser* releaser = new Releaser();

void ReleaseLoop() {
  // Signals for the process go to Node's own threads, never to this one.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  for (;;) {
    Region* region;
    {
      std::unique_lock<std::mutex> lock(releaser->mutex);
      releaser->wake.wait(lock, [] { return !releaser->queue.empty(); });
      region = releaser->queue.front();
      releaser->queue.pop_front();
    }
    // A failed swap leaves the segment mapped until its last buffer goes (then munmap below or in DeleteMapping).
    mmap(region->address, region->length, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    bool unmap;
    {
      std::lock_guard<std::mutex> lock(mappingsMutex);
      region->releasing = false;
      unmap = region->buffers == 0;
    }
    if (unmap) {
      munmap(region->address, region->length);
      delete region;
    }
  }
}

// Called with mappingsMutex held (the releaser's lock is taken inside it, never the other way round).
void QueueReleaseLocked(Region* region) {
  region->releasing = true;
  std::lock_guard<std::mutex> lock(releaser->mutex);
  if (!releaser->started) {
    std::thread(ReleaseLoop).detach();
    releaser->started = true;
  }
  releaser->queue.push_back(region);
  releaser->wake.notify_one();
}

// Called with mappingsMutex held when a handle closes (explicitly or by collection): the last open handle
// releases the segment (private zero pages over the range, so every buffer over it stays valid; on the
// releaser thread for an attach with kShare) and takes the region off the shared list. Returns the mmap
// errno, or 0.
int CloseHandleLocked(Mapping& mapping, bool swapZeroPages) {
  mapping.closed = true;
  Region* region = mapping.region;
  if (--region->open > 0) return 0;
  if (region->shared) {
    sharedRegions.erase(InodeKey{region->device, region->inode});
    region->shared = false;
  }
  if (!swapZeroPages) return 0;
  if (mapping.deferred) {
    QueueReleaseLocked(region);
    return 0;
  }
  void* swapped = mmap(region->address, region->length, PROT_READ | PROT_WRITE,
                       MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return swapped == MAP_FAILED ? errno : 0;
}

enum OpenMode { kAttach = 0, kCreate = 1, kCreateExclusive = 2 };

int OpenPath(const std::string& path, bool useShmOpen, int flags) {
  if (useShmOpen) return shm_open(path.c_str(), flags, 0600);
  return open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, 0600);
}

int UnlinkPath(const std::string& path, bool useShmOpen) {
  return useShmOpen ? shm_unlink(path.c_str()) : unlink(path.c_str());
}

// Runs when the last isolate holding one SharedArrayBuffer drops it (on a V8 background thread). A handle
// never closed is closed now; the region is unmapped with its last buffer.
void DeleteMapping(void*, size_t, void* deleterData) {
  uint32_t id = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(deleterData));
  Region* unmapped = nullptr;
  {
    std::lock_guard<std::mutex> lock(mappingsMutex);
    auto it = mappings.find(id);
    if (it == mappings.end()) return;
    Mapping& mapping = it->second;
    Region* region = mapping.region;
    if (!mapping.closed) {
      mapping.pendingRelease->fetch_add(static_cast<int64_t>(mapping.reported));
      // Zero pages only matter while other (closed) handles' buffers still point at the range.
      CloseHandleLocked(mapping, region->buffers > 1);
    }
    mappings.erase(it);
    // A region the releaser still holds is unmapped by the releaser.
    if (--region->buffers == 0 && !region->releasing) unmapped = region;
  }
  if (unmapped != nullptr) {
    munmap(unmapped->address, unmapped->length);
    delete unmapped;
  }
}

napi_value MakeSharedArrayBuffer(void* address, size_t length, uint32_t id) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  std::unique_ptr<v8::BackingStore> store = v8::SharedArrayBuffer::NewBackingStore(
      address, length, DeleteMapping, reinterpret_cast<void*>(static_cast<uintptr_t>(id)));
  v8::Local<v8::SharedArrayBuffer> sab = v8::SharedArrayBuffer::New(isolate, std::move(store));
  // napi_value is, in every Node release, the address of the handle's slot.
  v8::Local<v8::Value> value = sab;
  return reinterpret_cast<napi_value>(*value);
}

napi_value OpenedResult(napi_env env, void* address, size_t length, size_t reported, uint32_t id, bool created) {
  int64_t ignored;
  if (reported > 0) napi_adjust_external_memory(env, static_cast<int64_t>(reported), &ignored);
  napi_value result, buffer, sizeValue, idValue, createdValue;
  MP_CALL(env, napi_create_object(env, &result));
  buffer = MakeSharedArrayBuffer(address, length, id);
  MP_CALL(env, napi_create_double(env, static_cast<double>(length), &sizeValue));
  MP_CALL(env, napi_create_uint32(env, id, &idValue));
  MP_CALL(env, napi_get_boolean(env, created, &createdValue));
  MP_CALL(env, napi_set_named_property(env, result, "buffer", buffer));
  MP_CALL(env, napi_set_named_property(env, result, "size", sizeValue));
  MP_CALL(env, napi_set_named_property(env, result, "id", idValue));
  MP_CALL(env, napi_set_named_property(env, result, "created", createdValue));
  return result;
}

// open(path, useShmOpen, mode, size, flags = 0) -> { buffer, size, id, created }
// flags: kShare lists the mapping process-wide and, when attaching, reuses a listed mapping of the same file
// (no fallocate, no mmap, no page faults); kReserved skips fallocate when attaching a segment whose creator
// reserved every page (the object store's own segments); kUnreported reports no external memory to V8 for a
// handle its caller always closes explicitly (a collection could free nothing of it; the reports would only
// provoke collections).
napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  MP_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  std::string path;
  bool useShmOpen = true;
  int64_t mode = 0, requested = 0, flags = 0;
  if (argc < 4 || !GetString(env, argv[0], &path) || !GetBool(env, argv[1], &useShmOpen) ||
      !GetInt64(env, argv[2], &mode) || !GetInt64(env, argv[3], &requested) ||
      (argc >= 5 && !GetInt64(env, argv[4], &flags))) {
    ThrowTypeError(env, "open(path: string, useShmOpen: boolean, mode: number, size: number, flags?: number)");
    return nullptr;
  }
  DrainPendingRelease(env);
  const bool share = (flags & kShare) != 0;

  bool created = false;
  int fd = -1;
  if (mode == kCreate || mode == kCreateExclusive) {
    fd = OpenPath(path, useShmOpen, O_CREAT | O_EXCL | O_RDWR);
    if (fd >= 0) created = true;
    else if (errno != EEXIST || mode == kCreateExclusive) {
      ThrowSystemError(env, errno, "open", path);
      return nullptr;
    }
  }
  if (fd < 0) {
    fd = OpenPath(path, useShmOpen, O_RDWR);
    if (fd < 0) {
      ThrowSystemError(env, errno, "open", path);
      return nullptr;
    }
  }

  auto fail = [&](int err, const char* syscall) -> napi_value {
    close(fd);
    if (created) UnlinkPath(path, useShmOpen);
    ThrowSystemError(env, err, syscall, path);
    return nullptr;
  };

  if (created && ftruncate(fd, static_cast<off_t>(requested)) != 0) return fail(errno, "ftruncate");
  struct stat st;
  if (fstat(fd, &st) != 0) return fail(errno, "fstat");
  size_t length = static_cast<size_t>(st.st_size);
  if (length == 0) return fail(EINVAL, "mmap (empty segment)");
  EnvData* data = GetEnvData(env);

  if (share && !created) {
    uint32_t id = 0;
    void* address = nullptr;
    {
      std::lock_guard<std::mutex> lock(mappingsMutex);
      auto it = sharedRegions.find(InodeKey{st.st_dev, st.st_ino});
      if (it != sharedRegions.end() && it->second->length == length) {
        Region* region = it->second;
        region->open++;
        region->buffers++;
        id = nextMappingId++;
        mappings[id] = Mapping{region, false, 0, true, data->pendingRelease};
        address = region->address;
      }
    }
    if (address != nullptr) {
      close(fd);
      return OpenedResult(env, address, length, 0, id, false);
    }
  }

  // tmpfs accepts any ftruncate and kills the process with SIGBUS on the first touch of a page it
  // cannot supply; reserving every page now turns that into ENOSPC here. It never changes data.
  if (created || (flags & kReserved) == 0) {
    int err = posix_fallocate(fd, 0, static_cast<off_t>(length));
    if (err != 0 && err != EOPNOTSUPP && err != EINVAL) return fail(err, "posix_fallocate");
  }
  void* address = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (address == MAP_FAILED) return fail(errno, "mmap");
  close(fd);

  const size_t reported = (flags & kUnreported) != 0 ? 0 : length;
  uint32_t id;
  {
    std::lock_guard<std::mutex> lock(mappingsMutex);
    id = nextMappingId++;
    Region* region = new Region{address, length, st.st_dev, st.st_ino, false, 1, 1, false};
    // Two threads attaching at once may both map: the first listed stays the shared one.
    if (share) region->shared = sharedRegions.emplace(InodeKey{st.st_dev, st.st_ino}, region).second;
    mappings[id] = Mapping{region, false, reported, share && !created, data->pendingRelease};
  }
  return OpenedResult(env, address, length, reported, id, created);
}

// close(id) -> boolean: closes one handle. The last open handle of a mapping swaps private zero pages over
// it, so every SharedArrayBuffer that still points at it stays valid (reads zeros) while the segment itself
// is released; until then the other handles' buffers keep reading the segment.
napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  MP_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int64_t id = 0;
  if (argc < 1 || !GetInt64(env, argv[0], &id)) {
    ThrowTypeError(env, "close(id: number)");
    return nullptr;
  }
  DrainPendingRelease(env);
  bool closedNow = false;
  size_t length = 0;
  int err = 0;
  {
    std::lock_guard<std::mutex> lock(mappingsMutex);
    auto it = mappings.find(static_cast<uint32_t>(id));
    if (it != mappings.end() && !it->second.closed) {
      err = CloseHandleLocked(it->second, true);
      closedNow = true;
      length = it->second.reported;
    }
  }
  if (length > 0) {
    int64_t ignored;
    napi_adjust_external_memory(env, -static_cast<int64_t>(length), &ignored);
  }
  if (err != 0) {
    ThrowSystemError(env, err, "mmap", "");
    return nullptr;
  }
  napi_value result;
  MP_CALL(env, napi_get_boolean(env, closedNow, &result));
  return result;
}

// unlink(path, useShmOpen)
napi_value Unlink(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  MP_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  std::string path;
  bool useShmOpen = true;
  if (argc < 2 || !GetString(env, argv[0], &path) || !GetBool(env, argv[1], &useShmOpen)) {
    ThrowTypeError(env, "unlink(path: string, useShmOpen: boolean)");
    return nullptr;
  }
  if (UnlinkPath(path, useShmOpen) != 0) {
    ThrowSystemError(env, errno, useShmOpen ? "shm_unlink" : "unlink", path);
    return nullptr;
  }
  return nullptr;
}

// mappedCount() -> open handles in this process; regionCount() -> the mappings behind them (handles that
// share one count once). For leak checks in tests and stats.
napi_value MappedCount(napi_env env, napi_callback_info) {
  size_t count = 0;
  {
    std::lock_guard<std::mutex> lock(mappingsMutex);
    for (const auto& entry : mappings) if (!entry.second.closed) count++;
  }
  napi_value result;
  MP_CALL(env, napi_create_uint32(env, static_cast<uint32_t>(count), &result));
  return result;
}

napi_value RegionCount(napi_env env, napi_callback_info) {
  size_t count = 0;
  {
    std::lock_guard<std::mutex> lock(mappingsMutex);
    // A region counts once, through its first open handle met.
    std::unordered_map<Region*, bool> seen;
    for (const auto& entry : mappings) {
      if (!entry.second.closed && seen.emplace(entry.second.region, true).second) count++;
    }
  }
  napi_value result;
  MP_CALL(env, napi_create_uint32(env, static_cast<uint32_t>(count), &result));
  return result;
}

}  // namespace

void RegisterSegment(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", nullptr, Open, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"unlink", nullptr, Unlink, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"mappedCount", nullptr, MappedCount, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"regionCount", nullptr, RegionCount, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}

}  // namespace multiproc
