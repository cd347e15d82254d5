// Module entry: per-environment data, shared helpers, and registration of the four parts.
#include "common.h"

#include <uv.h>

#include <cstring>

namespace multiproc {

static void FinalizeEnvData(napi_env, void* data, void*) { delete static_cast<EnvData*>(data); }

EnvData* GetEnvData(napi_env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  return static_cast<EnvData*>(data);
}

void DrainPendingRelease(napi_env env) {
  EnvData* data = GetEnvData(env);
  if (data == nullptr) return;
  int64_t released = data->pendingRelease->exchange(0);
  if (released > 0) {
    int64_t ignored;
    napi_adjust_external_memory(env, -released, &ignored);
  }
}

void ThrowSystemError(napi_env env, int err, const char* syscall, const std::string& path) {
  const char* code = uv_err_name(-err);
  std::string message = std::string(code) + ": " + std::strerror(err) + ", " + syscall;
  if (!path.empty()) message += " '" + path + "'";
  napi_value codeValue, messageValue, error, errnoValue, syscallValue, pathValue;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &codeValue);
  napi_create_string_utf8(env, message.c_str(), message.size(), &messageValue);
  napi_create_error(env, codeValue, messageValue, &error);
  napi_create_int32(env, -err, &errnoValue);
  napi_set_named_property(env, error, "errno", errnoValue);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscallValue);
  napi_set_named_property(env, error, "syscall", syscallValue);
  if (!path.empty()) {
    napi_create_string_utf8(env, path.c_str(), path.size(), &pathValue);
    napi_set_named_property(env, error, "path", pathValue);
  }
  napi_throw(env, error);
}

void ThrowTypeError(napi_env env, const char* message) { napi_throw_type_error(env, nullptr, message); }

bool GetString(napi_env env, napi_value value, std::string* out) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, nullptr, 0, &length) != napi_ok) return false;
  out->resize(length);
  size_t written = 0;
  if (napi_get_value_string_utf8(env, value, out->data(), length + 1, &written) != napi_ok) return false;
  out->resize(written);
  return true;
}

bool GetInt64(napi_env env, napi_value value, int64_t* out) { return napi_get_value_int64(env, value, out) == napi_ok; }
bool GetDouble(napi_env env, napi_value value, double* out) { return napi_get_value_double(env, value, out) == napi_ok; }
bool GetBool(napi_env env, napi_value value, bool* out) { return napi_get_value_bool(env, value, out) == napi_ok; }

bool GetInt32Slot(napi_env env, napi_value array, napi_value index, int32_t** out) {
  bool isTypedArray = false;
  napi_is_typedarray(env, array, &isTypedArray);
  if (!isTypedArray) return false;
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, array, &type, &length, &data, nullptr, nullptr) != napi_ok) return false;
  if (type != napi_int32_array) return false;
  int64_t i = 0;
  if (!GetInt64(env, index, &i) || i < 0 || static_cast<uint64_t>(i) >= length) return false;
  *out = static_cast<int32_t*>(data) + i;
  return true;
}

}  // namespace multiproc

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  auto* data = new multiproc::EnvData();
  if (napi_set_instance_data(env, data, multiproc::FinalizeEnvData, nullptr) != napi_ok) {
    delete data;
    return nullptr;
  }
  multiproc::RegisterSegment(env, exports);
  multiproc::RegisterFutex(env, exports);
  multiproc::RegisterProcessState(env, exports);
  multiproc::RegisterParentDeath(env, exports);
  multiproc::RegisterUnixSocket(env, exports);
  multiproc::RegisterBlockingSocket(env, exports);
  multiproc::RegisterLoopSpin(env, exports);
  return exports;
}
