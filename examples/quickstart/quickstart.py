import callmem

with callmem.CallMemory("calls.db") as memory:
    hints = {"ani": "+14155551234"}
    memory.start_call("acme", call_id="call_001", identity_hints=hints, telco={"line_type": "mobile"})
    memory.end_call("acme", call_id="call_001", intent="refund_request", variables={"name": "John Doe"})
    # The same caller again: recognised, with the open intent and the name.
    r = memory.start_call("acme", call_id="call_002", identity_hints=hints, telco={"line_type": "mobile"})
    print(r["customer_ref"], r["identity"]["recommendation"], r["open_intents"][0]["intent"],
          r["variables"]["name"]["value"])
