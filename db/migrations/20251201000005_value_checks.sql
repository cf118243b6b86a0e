-- +goose Up
-- Closed value sets and non-negative counters, validated against existing rows.
ALTER TABLE users ADD CONSTRAINT users_account_type_check CHECK (account_type IN ('business', 'personal'));
ALTER TABLE users ADD CONSTRAINT users_personal_account_type_check CHECK (personal_account_type IN ('contractor', 'freelancer', 'employee'));
ALTER TABLE transactions ADD CONSTRAINT transactions_status_check CHECK (status IN ('created', 'pending', 'not_found', 'failed', 'confirmed'));
ALTER TABLE otp_verifications ADD CONSTRAINT otp_verifications_attempts_made_check CHECK (attempts_made >= 0);
ALTER TABLE otp_verifications ADD CONSTRAINT otp_verifications_max_attempts_check CHECK (max_attempts > 0);

-- +goose Down
ALTER TABLE otp_verifications DROP CONSTRAINT otp_verifications_max_attempts_check;
ALTER TABLE otp_verifications DROP CONSTRAINT otp_verifications_attempts_made_check;
ALTER TABLE transactions DROP CONSTRAINT transactions_status_check;
ALTER TABLE users DROP CONSTRAINT users_personal_account_type_check;
ALTER TABLE users DROP CONSTRAINT users_account_type_check;
