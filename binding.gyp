{
  "targets": [
    {
      "target_name": "multiproc",
      "sources": [
        "native/addon.cc",
        "native/segment.cc",
        "native/futex.cc",
        "native/process-state.cc",
        "native/parent-death.cc",
        "native/unix-socket.cc",
        "native/blocking-socket.cc",
        "native/loop-spin.cc"
      ],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["OS=='linux'", { "libraries": ["-lrt", "-lpthread"] }],
        ["OS=='mac'", { "xcode_settings": { "CLANG_CXX_LANGUAGE_STANDARD": "c++17", "OTHER_CPLUSPLUSFLAGS": ["-O2"] } }]
      ]
    }
  ]
}
