-- +goose Up
CREATE TABLE user_device_tokens (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_token VARCHAR NOT NULL UNIQUE,
    platform VARCHAR(50) NOT NULL,
    device_type VARCHAR(100),
    device_model VARCHAR(100),
    os_name VARCHAR(50),
    os_version VARCHAR(50),
    push_notification_token VARCHAR,
    is_active BOOLEAN NOT NULL DEFAULT true,
    is_verified BOOLEAN NOT NULL DEFAULT false,
    last_used_at TIMESTAMPTZ,
    first_registered_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    app_version VARCHAR(50),
    client_ip VARCHAR(45),
    expires_at TIMESTAMPTZ,
    is_revoked BOOLEAN NOT NULL DEFAULT false
);

CREATE INDEX idx_user_device_tokens_user_id ON user_device_tokens (user_id);
CREATE INDEX idx_user_device_tokens_platform ON user_device_tokens (platform);
CREATE INDEX idx_user_device_tokens_device_token ON user_device_tokens (device_token);

-- +goose Down
DROP TABLE user_device_tokens;
