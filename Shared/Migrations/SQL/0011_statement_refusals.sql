-- A statement that writes several rows at once (an outcome accept: idempotency key, application, delivery, job)
-- checks what it found as it goes and calls this to refuse: the error aborts the whole statement, so nothing it
-- wrote is kept. The caller maps the SQLSTATE (class DK) to its answer.
CREATE FUNCTION dakiya_refuse(code text) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = code, MESSAGE = 'refused (' || code || ')';
END
$$;
