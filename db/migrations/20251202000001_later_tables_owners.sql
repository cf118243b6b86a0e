-- +goose Up
-- DefiFundr's user_wallets and security_events name a user_id but reference
-- nothing: a wallet or an event could name a user that never existed, and
-- deleting a user left its wallets behind. Each now references users(id)
-- and goes with its user (ON DELETE CASCADE, as sessions, kyc, devices, OTPs
-- and transactions do).
--
-- NOT VALID: checked for every row written from now on, without scanning
-- (or refusing) what older databases hold. A database whose rows all have
-- their user can be validated at any time:
--   ALTER TABLE user_wallets VALIDATE CONSTRAINT user_wallets_user_id_fkey;
--   ALTER TABLE security_events VALIDATE CONSTRAINT security_events_user_id_fkey;
ALTER TABLE user_wallets
    ADD CONSTRAINT user_wallets_user_id_fkey FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE NOT VALID;
ALTER TABLE security_events
    ADD CONSTRAINT security_events_user_id_fkey FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE NOT VALID;

-- +goose Down
ALTER TABLE security_events DROP CONSTRAINT IF EXISTS security_events_user_id_fkey;
ALTER TABLE user_wallets DROP CONSTRAINT IF EXISTS user_wallets_user_id_fkey;
