-- +goose Up
-- DefiFundr's user_wallets and security_events name a user_id but reference
-- nothing: a wallet or an event could name a user that never existed, and
-- deleting a user left its wallets behind. Each now references users(id)
-- and goes with its user (ON DELETE CASCADE, as sessions, kyc, devices, OTPs
-- and transactions do).
--
-- Added NOT VALID (checked for every row written from now on, without
-- refusing what older databases hold), then validated at once where every
-- row has its user. Where some do not, the constraint stays NOT VALID and
-- can be validated once they are dealt with:
--   ALTER TABLE user_wallets VALIDATE CONSTRAINT user_wallets_user_id_fkey;
--   ALTER TABLE security_events VALIDATE CONSTRAINT security_events_user_id_fkey;
ALTER TABLE user_wallets
    ADD CONSTRAINT user_wallets_user_id_fkey FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE NOT VALID;
ALTER TABLE security_events
    ADD CONSTRAINT security_events_user_id_fkey FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE NOT VALID;
-- DefiFundr writes '' as a security event's ip_address when the client's
-- address is unknown; the default says so, so a caller may leave it out.
ALTER TABLE security_events ALTER COLUMN ip_address SET DEFAULT '';
-- +goose StatementBegin
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM user_wallets w
                 WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = w.user_id)) THEN
    ALTER TABLE user_wallets VALIDATE CONSTRAINT user_wallets_user_id_fkey;
  ELSE
    RAISE NOTICE 'user_wallets has rows whose user does not exist: user_wallets_user_id_fkey stays NOT VALID';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM security_events e
                 WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = e.user_id)) THEN
    ALTER TABLE security_events VALIDATE CONSTRAINT security_events_user_id_fkey;
  ELSE
    RAISE NOTICE 'security_events has rows whose user does not exist: security_events_user_id_fkey stays NOT VALID';
  END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE security_events ALTER COLUMN ip_address DROP DEFAULT;
ALTER TABLE security_events DROP CONSTRAINT IF EXISTS security_events_user_id_fkey;
ALTER TABLE user_wallets DROP CONSTRAINT IF EXISTS user_wallets_user_id_fkey;
