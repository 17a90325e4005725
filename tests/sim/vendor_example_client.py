"""The vendor's example client (vendor/se-box-realtime-events.zh.txt), transcribed."""

# Changed from the vendor's text, and nothing else:
# - the address: ws://127.0.0.1:<port> (first argument) instead of ws://192.168.1.52:5679;
# - the device ids of event_list: the remaining arguments instead of the vendor's four
#   (and so `import sys`);
# - the loop: bounded to EVENTS events instead of `while True`, its body indented (the vendor
#   text lost the indentation);
# - this docstring, these comments and the fmt/ruff markers that keep the text as it is.
# fmt: off
# ruff: noqa: I001, Q000, T201
# mypy: ignore-errors
import sys

import websocket
import json

EVENTS = 5
s=websocket.WebSocket()
s.connect('ws://127.0.0.1:' + sys.argv[1])
config = {'need_face':True, 'need_register':True, 'event_list':sys.argv[2:]}
json_data = json.dumps(config)
s.send(json_data)
for _ in range(EVENTS):
    info = s.recv_data(4096)
    event = json.loads(str(info[1], encoding='utf8'))
    print("{} {}".format(event['video_id'], event['event_id']))
