// Named shared-memory segments: open (create / create-exclusive / attach), map as a real
// SharedArrayBuffer, explicit close (private zero pages swapped in), unlink.
//
// Node-API everywhere except SharedArrayBuffer creation, which Node-API cannot do on Node 20: there the
// raw V8 API wraps the mapping in a backing store whose deleter unmaps it.
#include "common.h"

#include <v8.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>

namespace multiproc {

namespace {

struct Mapping {
  void* address;
  size_t length;
  bool closed;
  std::shared_ptr<std::atomic<int64_t>> pendingRelease;
};

std::mutex mappingsMutex;
std::unordered_map<uint32_t, Mapping> mappings;
uint32_t nextMappingId = 1;

enum OpenMode { kAttach = 0, kCreate = 1, kCreateExclusive = 2 };

int OpenPath(const std::string& path, bool useShmOpen, int flags) {
  if (useShmOpen) return shm_open(path.c_str(), flags, 0600);
  return open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, 0600);
}

int UnlinkPath(const std::string& path, bool useShmOpen) {
  return useShmOpen ? shm_unlink(path.c_str()) : unlink(path.c_str());
}

// Runs when the last isolate holding the SharedArrayBuffer drops it (on a V8 background thread).
void DeleteMapping(void* data, size_t length, void* deleterData) {
  uint32_t id = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(deleterData));
  {
    std::lock_guard<std::mutex> lock(mappingsMutex);
    auto it = mappings.find(id);
    if (it != mappings.end()) {
      if (!it->second.closed) it->second.pendingRelease->fetch_add(static_cast<int64_t>(length));
      mappings.erase(it);
    }
  }
  munmap(data, length);
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

// open(path, useShmOpen, mode, size) -> { buffer, size, id, created }
napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  MP_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  std::string path;
  bool useShmOpen = true;
  int64_t mode = 0, requested = 0;
  if (argc < 4 || !GetString(env, argv[0], &path) || !GetBool(env, argv[1], &useShmOpen) ||
      !GetInt64(env, argv[2], &mode) || !GetInt64(env, argv[3], &requested)) {
    ThrowTypeError(env, "open(path: string, useShmOpen: boolean, mode: number, size: number)");
    return nullptr;
  }
  DrainPendingRelease(env);

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
  // tmpfs accepts any ftruncate and kills the process with SIGBUS on the first touch of a page it
  // cannot supply; reserving every page now turns that into ENOSPC here. It never changes data.
  int err = posix_fallocate(fd, 0, static_cast<off_t>(length));
  if (err != 0 && err != EOPNOTSUPP && err != EINVAL) return fail(err, "posix_fallocate");
  void* address = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (address == MAP_FAILED) return fail(errno, "mmap");
  close(fd);

  EnvData* data = GetEnvData(env);
  uint32_t id;
  {
    std::lock_guard<std::mutex> lock(mappingsMutex);
    id = nextMappingId++;
    mappings[id] = Mapping{address, length, false, data->pendingRelease};
  }
  int64_t ignored;
  napi_adjust_external_memory(env, static_cast<int64_t>(length), &ignored);

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

// close(id) -> boolean: swaps private zero pages over the mapping, so every SharedArrayBuffer that
// still points at it stays valid (reads zeros) while the segment itself is released.
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
  {
    std::lock_guard<std::mutex> lock(mappingsMutex);
    auto it = mappings.find(static_cast<uint32_t>(id));
    if (it != mappings.end() && !it->second.closed) {
      void* swapped = mmap(it->second.address, it->second.length, PROT_READ | PROT_WRITE,
                           MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (swapped == MAP_FAILED) {
        int err = errno;
        ThrowSystemError(env, err, "mmap", "");
        return nullptr;
      }
      it->second.closed = true;
      closedNow = true;
      length = it->second.length;
    }
  }
  if (closedNow) {
    int64_t ignored;
    napi_adjust_external_memory(env, -static_cast<int64_t>(length), &ignored);
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

// mappedCount() -> number of live mappings in this process (for leak checks in tests and stats).
napi_value MappedCount(napi_env env, napi_callback_info) {
  size_t count;
  {
    std::lock_guard<std::mutex> lock(mappingsMutex);
    count = 0;
    for (const auto& entry : mappings) if (!entry.second.closed) count++;
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
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}

}  // namespace multiproc
