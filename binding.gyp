{
  "targets": [
    {
      "target_name": "berth-monitor",
      "type": "executable",
      "sources": [
        "native/berth-monitor/main.c",
        "native/berth-monitor/options.c",
        "native/berth-monitor/create.c",
        "native/berth-monitor/runtime.c",
        "native/berth-monitor/runtime_log.c",
        "native/berth-monitor/console.c",
        "native/berth-monitor/unixsock.c",
        "native/berth-monitor/reaper.c",
        "native/berth-monitor/loop.c",
        "native/berth-monitor/output.c",
        "native/berth-monitor/logfile.c",
        "native/berth-monitor/jsonfmt.c",
        "native/berth-monitor/attach.c",
        "native/berth-monitor/stdin_sink.c",
        "native/berth-monitor/control.c",
        "native/berth-monitor/statefile.c",
        "native/berth-monitor/buf.c",
        "native/berth-monitor/util.c"
      ],
      "defines": [
        "_GNU_SOURCE"
      ],
      "cflags!": [
        "-O3",
        "-pthread"
      ],
      "ldflags!": [
        "-rdynamic",
        "-pthread"
      ],
      "cflags": [
        "-std=c11",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Werror"
      ]
    },
    {
      "target_name": "berth-pause",
      "type": "executable",
      "sources": [
        "native/berth-pause/pause.c"
      ],
      "defines": [
        "_GNU_SOURCE"
      ],
      "cflags!": [
        "-O3",
        "-pthread"
      ],
      "ldflags!": [
        "-rdynamic",
        "-pthread"
      ],
      "cflags": [
        "-std=c11",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Werror"
      ],
      "ldflags": [
        "-static",
        "-s"
      ]
    },
    {
      "target_name": "berth_host",
      "sources": [
        "native/berth-host/host.c",
        "native/berth-host/links.c",
        "native/berth-host/sha256.c",
        "native/berth-host/spawn.c"
      ],
      "defines": [
        "_GNU_SOURCE"
      ],
      "cflags": [
        "-std=c11",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Werror"
      ]
    }
  ]
}
