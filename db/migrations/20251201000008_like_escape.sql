-- +goose Up
-- like_escape(text): the text with LIKE's wildcards (% and _) and its escape
-- character (\) escaped, so that a user's search string matches literally:
-- col ILIKE '%' || like_escape(q) || '%'.
-- +goose StatementBegin
CREATE FUNCTION like_escape(pattern text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
        SELECT replace(replace(replace(pattern, '\', '\\'), '%', '\%'), '_', '\_');
    $$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION like_escape(text);
