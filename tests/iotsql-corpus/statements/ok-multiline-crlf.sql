SELECT
  end_device_ids.device_id AS device_id,
	received_at
FROM
  '+/devices/+/up'
WHERE
  received_at <> ''
