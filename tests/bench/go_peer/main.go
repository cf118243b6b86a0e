// Command defifundr-data-go-peer is the benchmark peer of the C++ data
// service: the Go data path this service replaces, as DefiFundr's Go services
// ran it (grpc-go, pgx v4 with a pgxpool.Pool and pgx's default prepared
// statement cache, sqlc-style generated queries: a Queries struct with one
// method per named query of db/queries/*.sql and a params struct per
// multi-parameter query). `make bench` runs the same load against both
// servers on the same database (scripts/bench_go_peer.sh builds this one).
//
// It serves the same API (proto/defifundr/data/v1), but implements only:
//
//   - defifundr.data.v1.UserService/GetUser (query GetUser of
//     db/queries/users.sql);
//   - defifundr.data.v1.UserService/ListUsers (query ListUsers; keyset pages
//     on (created_at, id) ascending, page_size default 50, at most 1000; the
//     next_page_token is an unsigned base64 cursor);
//   - defifundr.data.v1.SessionService/CreateSession (query CreateSession of
//     db/queries/sessions.sql, with its request_id retry as
//     GetSessionByRequestId);
//
// plus the standard gRPC health service (SERVING) and server reflection.
// Every other method answers UNIMPLEMENTED (the embedded Unimplemented*
// servers). Responses are field for field those of the C++ service for the
// same rows: enum columns map through the enums' (stored_as) options and
// lower-cased names, with unknown text read as _UNSPECIFIED plus the
// `<field>_raw` field, NULL columns leave optional fields unset, timestamps
// are clamped to google.protobuf.Timestamp's range.
//
// There is no per-RPC log (a benchmark peer must not pay for one): only
// server-side failures (INTERNAL, UNAVAILABLE, UNKNOWN) are written to stderr.
// SIGTERM or SIGINT stops it gracefully.
//
//	defifundr-data-go-peer -listen 127.0.0.1:50061 \
//	    -database_url postgresql://... -pool_size 10
package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	datav1 "github.com/demola234/defifundr/data/v1"
	"github.com/jackc/pgconn"
	"github.com/jackc/pgtype"
	"github.com/jackc/pgx/v4"
	"github.com/jackc/pgx/v4/pgxpool"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ---------------------------------------------------------------------------
// The sqlc-style data layer (what `sqlc generate` writes for pgx v4).

// DBTX is what the queries run on: a *pgxpool.Pool or a pgx.Tx.
type DBTX interface {
	Exec(context.Context, string, ...interface{}) (pgconn.CommandTag, error)
	Query(context.Context, string, ...interface{}) (pgx.Rows, error)
	QueryRow(context.Context, string, ...interface{}) pgx.Row
}

// Queries holds one method per named query.
type Queries struct {
	db DBTX
}

// New returns the queries on db.
func New(db DBTX) *Queries { return &Queries{db: db} }

// UserRow is a row of the users queries' column list.
type UserRow struct {
	ID                  pgtype.UUID
	Email               string
	ProfilePicture      sql.NullString
	AccountType         string
	Gender              sql.NullString
	PersonalAccountType string
	FirstName           string
	LastName            string
	Nationality         string
	ResidentialCountry  sql.NullString
	JobRole             sql.NullString
	CompanyWebsite      sql.NullString
	EmploymentType      sql.NullString
	CreatedAt           pgtype.Timestamptz
	UpdatedAt           pgtype.Timestamptz
}

// Session is a row of the sessions queries' column list.
type Session struct {
	ID               pgtype.UUID
	UserID           pgtype.UUID
	RefreshToken     string
	UserAgent        string
	WebOauthClientID sql.NullString
	OauthAccessToken sql.NullString
	OauthIDToken     sql.NullString
	UserLoginType    string
	MfaEnabled       bool
	ClientIp         string
	IsBlocked        bool
	ExpiresAt        pgtype.Timestamptz
	CreatedAt        pgtype.Timestamptz
}

const getUser = `-- name: GetUser :one
SELECT id, email, profile_picture, account_type, gender,
    personal_account_type, first_name, last_name, nationality,
    residential_country, job_role, company_website, employment_type,
    created_at, updated_at
FROM users
WHERE id = $1
`

// GetUser runs `-- name: GetUser :one` of db/queries/users.sql.
func (q *Queries) GetUser(ctx context.Context, id pgtype.UUID) (UserRow, error) {
	row := q.db.QueryRow(ctx, getUser, id)
	var i UserRow
	err := row.Scan(
		&i.ID,
		&i.Email,
		&i.ProfilePicture,
		&i.AccountType,
		&i.Gender,
		&i.PersonalAccountType,
		&i.FirstName,
		&i.LastName,
		&i.Nationality,
		&i.ResidentialCountry,
		&i.JobRole,
		&i.CompanyWebsite,
		&i.EmploymentType,
		&i.CreatedAt,
		&i.UpdatedAt,
	)
	return i, err
}

const listUsers = `-- name: ListUsers :many
SELECT id, email, profile_picture, account_type, gender,
    personal_account_type, first_name, last_name, nationality,
    residential_country, job_role, company_website, employment_type,
    created_at, updated_at
FROM users
WHERE ($1::varchar IS NULL OR account_type = $1)
  AND (created_at, id) > ($2::timestamptz, $3::uuid)
ORDER BY created_at, id
LIMIT $4
`

// ListUsersParams are the parameters of ListUsers.
type ListUsersParams struct {
	AccountType sql.NullString
	CursorTime  pgtype.Timestamptz
	CursorID    pgtype.UUID
	PageLimit   int32
}

// ListUsers runs `-- name: ListUsers :many` of db/queries/users.sql.
func (q *Queries) ListUsers(ctx context.Context, arg ListUsersParams) ([]UserRow, error) {
	rows, err := q.db.Query(ctx, listUsers,
		arg.AccountType,
		arg.CursorTime,
		arg.CursorID,
		arg.PageLimit,
	)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := make([]UserRow, 0, arg.PageLimit)
	for rows.Next() {
		var i UserRow
		if err := rows.Scan(
			&i.ID,
			&i.Email,
			&i.ProfilePicture,
			&i.AccountType,
			&i.Gender,
			&i.PersonalAccountType,
			&i.FirstName,
			&i.LastName,
			&i.Nationality,
			&i.ResidentialCountry,
			&i.JobRole,
			&i.CompanyWebsite,
			&i.EmploymentType,
			&i.CreatedAt,
			&i.UpdatedAt,
		); err != nil {
			return nil, err
		}
		items = append(items, i)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return items, nil
}

const createSession = `-- name: CreateSession :one
INSERT INTO sessions (
    id, user_id, refresh_token, user_agent, web_oauth_client_id,
    oauth_access_token, oauth_id_token, user_login_type, mfa_enabled,
    client_ip, is_blocked, expires_at, request_id)
VALUES (
    COALESCE($1::uuid, gen_random_uuid()), $2, $3,
    $4, $5, $6, $7,
    $8, $9, $10, $11, $12,
    $13::uuid)
ON CONFLICT (request_id) DO NOTHING
RETURNING id, user_id, refresh_token, user_agent, web_oauth_client_id,
    oauth_access_token, oauth_id_token, user_login_type, mfa_enabled,
    client_ip, is_blocked, expires_at, created_at
`

// CreateSessionParams are the parameters of CreateSession.
type CreateSessionParams struct {
	ID               pgtype.UUID
	UserID           pgtype.UUID
	RefreshToken     string
	UserAgent        string
	WebOauthClientID sql.NullString
	OauthAccessToken sql.NullString
	OauthIDToken     sql.NullString
	UserLoginType    string
	MfaEnabled       bool
	ClientIp         string
	IsBlocked        bool
	ExpiresAt        time.Time
	RequestID        pgtype.UUID
}

// CreateSession runs `-- name: CreateSession :one` of db/queries/sessions.sql.
// With a request_id already used it inserts nothing: pgx.ErrNoRows.
func (q *Queries) CreateSession(ctx context.Context, arg CreateSessionParams) (Session, error) {
	row := q.db.QueryRow(ctx, createSession,
		arg.ID,
		arg.UserID,
		arg.RefreshToken,
		arg.UserAgent,
		arg.WebOauthClientID,
		arg.OauthAccessToken,
		arg.OauthIDToken,
		arg.UserLoginType,
		arg.MfaEnabled,
		arg.ClientIp,
		arg.IsBlocked,
		arg.ExpiresAt,
		arg.RequestID,
	)
	return scanSession(row)
}

const getSessionByRequestId = `-- name: GetSessionByRequestId :one
SELECT id, user_id, refresh_token, user_agent, web_oauth_client_id,
    oauth_access_token, oauth_id_token, user_login_type, mfa_enabled,
    client_ip, is_blocked, expires_at, created_at FROM sessions WHERE request_id = $1
`

// GetSessionByRequestId runs `-- name: GetSessionByRequestId :one` of
// db/queries/sessions.sql.
func (q *Queries) GetSessionByRequestId(ctx context.Context, requestID pgtype.UUID) (Session, error) {
	return scanSession(q.db.QueryRow(ctx, getSessionByRequestId, requestID))
}

func scanSession(row pgx.Row) (Session, error) {
	var i Session
	err := row.Scan(
		&i.ID,
		&i.UserID,
		&i.RefreshToken,
		&i.UserAgent,
		&i.WebOauthClientID,
		&i.OauthAccessToken,
		&i.OauthIDToken,
		&i.UserLoginType,
		&i.MfaEnabled,
		&i.ClientIp,
		&i.IsBlocked,
		&i.ExpiresAt,
		&i.CreatedAt,
	)
	return i, err
}

// ---------------------------------------------------------------------------
// Conversions between rows and messages, as server/codec.cc does them.

// enumCodec maps stored text to the values of one proto enum, by the same
// rules as server/codec.cc: a value with the (stored_as) option is stored as
// that text only; any other non-zero value as its name after the enum's
// prefix, lower-cased (ACCOUNT_TYPE_BUSINESS <-> "business").
type enumCodec struct {
	fromDB map[string]int32
	toDB   map[int32]string
}

// enumPrefix: "PersonalAccountType" -> "PERSONAL_ACCOUNT_TYPE_".
func enumPrefix(name string) string {
	var b strings.Builder
	for i, c := range name {
		if i > 0 && c >= 'A' && c <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteString(strings.ToUpper(string(c)))
	}
	b.WriteByte('_')
	return b.String()
}

func newEnumCodec(d protoreflect.EnumDescriptor) enumCodec {
	c := enumCodec{fromDB: map[string]int32{}, toDB: map[int32]string{}}
	prefix := enumPrefix(string(d.Name()))
	values := d.Values()
	for i := 0; i < values.Len(); i++ {
		v := values.Get(i)
		var text string
		if opts := v.Options(); opts != nil && proto.HasExtension(opts, datav1.E_StoredAs) {
			text = proto.GetExtension(opts, datav1.E_StoredAs).(string)
		} else if v.Number() == 0 {
			continue // The zero value is never stored.
		} else {
			text = strings.ToLower(strings.TrimPrefix(string(v.Name()), prefix))
		}
		c.fromDB[text] = int32(v.Number())
		c.toDB[int32(v.Number())] = text
	}
	return c
}

// decode returns the enum number of stored text, and the text itself as the
// `_raw` field when no value matches (number 0 then).
func (c enumCodec) decode(text string) (int32, *string) {
	if n, ok := c.fromDB[text]; ok {
		return n, nil
	}
	raw := text
	return 0, &raw
}

var (
	accountTypes         = newEnumCodec(datav1.AccountType(0).Descriptor())
	personalAccountTypes = newEnumCodec(datav1.PersonalAccountType(0).Descriptor())
)

// The instants google.protobuf.Timestamp can hold:
// 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z.
const (
	minTimestampSeconds = -62135596800
	maxTimestampSeconds = 253402300799
)

func toTimestamp(t pgtype.Timestamptz) *timestamppb.Timestamp {
	switch {
	case t.InfinityModifier == pgtype.Infinity:
		return &timestamppb.Timestamp{Seconds: maxTimestampSeconds, Nanos: 999999999}
	case t.InfinityModifier == pgtype.NegativeInfinity:
		return &timestamppb.Timestamp{Seconds: minTimestampSeconds}
	}
	s := t.Time.Unix()
	if s > maxTimestampSeconds {
		return &timestamppb.Timestamp{Seconds: maxTimestampSeconds, Nanos: 999999999}
	}
	if s < minTimestampSeconds {
		return &timestamppb.Timestamp{Seconds: minTimestampSeconds}
	}
	return &timestamppb.Timestamp{Seconds: s, Nanos: int32(t.Time.Nanosecond())}
}

func optional(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	v := s.String
	return &v
}

func nullString(p *string) sql.NullString {
	if p == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *p, Valid: true}
}

const hexDigits = "0123456789abcdef"

// uuidString formats a UUID as PostgreSQL prints it.
func uuidString(u pgtype.UUID) string {
	var b [36]byte
	j := 0
	for i, x := range u.Bytes {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j] = hexDigits[x>>4]
		b[j+1] = hexDigits[x&0xf]
		j += 2
	}
	return string(b[:])
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseUUID accepts what server/codec.cc's IsUuid does: 8-4-4-4-12 hex digits.
func parseUUID(s string) (pgtype.UUID, bool) {
	var u pgtype.UUID
	if len(s) != 36 {
		return u, false
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return u, false
			}
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return u, false
		}
		u.Bytes[j] = hi<<4 | lo
		j++
		i += 2
	}
	u.Status = pgtype.Present
	return u, true
}

func userMessage(r *UserRow) *datav1.User {
	u := &datav1.User{
		Id:                 uuidString(r.ID),
		Email:              r.Email,
		ProfilePicture:     optional(r.ProfilePicture),
		Gender:             optional(r.Gender),
		FirstName:          r.FirstName,
		LastName:           r.LastName,
		Nationality:        r.Nationality,
		ResidentialCountry: optional(r.ResidentialCountry),
		JobRole:            optional(r.JobRole),
		CompanyWebsite:     optional(r.CompanyWebsite),
		EmploymentType:     optional(r.EmploymentType),
		CreatedAt:          toTimestamp(r.CreatedAt),
		UpdatedAt:          toTimestamp(r.UpdatedAt),
	}
	var n int32
	n, u.AccountTypeRaw = accountTypes.decode(r.AccountType)
	u.AccountType = datav1.AccountType(n)
	n, u.PersonalAccountTypeRaw = personalAccountTypes.decode(r.PersonalAccountType)
	u.PersonalAccountType = datav1.PersonalAccountType(n)
	return u
}

func sessionMessage(r *Session) *datav1.Session {
	return &datav1.Session{
		Id:               uuidString(r.ID),
		UserId:           uuidString(r.UserID),
		RefreshToken:     r.RefreshToken,
		UserAgent:        r.UserAgent,
		WebOauthClientId: optional(r.WebOauthClientID),
		OauthAccessToken: optional(r.OauthAccessToken),
		OauthIdToken:     optional(r.OauthIDToken),
		UserLoginType:    r.UserLoginType,
		MfaEnabled:       r.MfaEnabled,
		ClientIp:         r.ClientIp,
		IsBlocked:        r.IsBlocked,
		ExpiresAt:        toTimestamp(r.ExpiresAt),
		CreatedAt:        toTimestamp(r.CreatedAt),
	}
}

// dbError maps a query error to a gRPC status (as db/pg/error.cc does) and
// logs the server-side failures.
func dbError(method string, err error) error {
	code := codes.Internal
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.As(err, &pgErr):
		s := pgErr.Code
		switch {
		case s == "23505" || s == "23P01":
			code = codes.AlreadyExists
		case s == "23503":
			code = codes.FailedPrecondition
		case s == "23502" || s == "23514" || strings.HasPrefix(s, "22"):
			code = codes.InvalidArgument
		case s == "40001" || s == "40P01" || s == "55P03":
			code = codes.Aborted
		case s == "57014":
			code = codes.DeadlineExceeded
		case strings.HasPrefix(s, "08") || strings.HasPrefix(s, "53") ||
			s == "57P01" || s == "57P02" || s == "57P03":
			code = codes.Unavailable
		}
		// Message only: Detail may quote values (secrets included).
		err = fmt.Errorf("%s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
	default:
		// Connection failures (no SQLSTATE).
		var netErr net.Error
		if errors.As(err, &netErr) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
			errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			code = codes.Unavailable
		}
	}
	if code == codes.Internal || code == codes.Unavailable || code == codes.Unknown {
		log.Printf("%s: %v", method, err)
	}
	return status.Error(code, err.Error())
}

// ---------------------------------------------------------------------------
// The gRPC services.

type userServer struct {
	datav1.UnimplementedUserServiceServer
	q *Queries
}

func (s *userServer) GetUser(ctx context.Context, req *datav1.GetUserRequest) (*datav1.User, error) {
	if req.GetId() == "" {
		return nil, status.Error(codes.InvalidArgument, "id: required")
	}
	id, ok := parseUUID(req.GetId())
	if !ok {
		return nil, status.Error(codes.InvalidArgument, "id: not a valid UUID")
	}
	row, err := s.q.GetUser(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, status.Errorf(codes.NotFound, "User %s not found", req.GetId())
	}
	if err != nil {
		return nil, dbError("GetUser", err)
	}
	return userMessage(&row), nil
}

const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// The cursor before the first row in ascending order.
var firstCursorTime = pgtype.Timestamptz{Status: pgtype.Present, InfinityModifier: pgtype.NegativeInfinity}

// encodePageToken: base64url of "<created_at as Unix microseconds, or
// [-]infinity>,<id>". Unsigned: a benchmark peer trusts its callers.
func encodePageToken(t pgtype.Timestamptz, id pgtype.UUID) string {
	var ts string
	switch t.InfinityModifier {
	case pgtype.Infinity:
		ts = "infinity"
	case pgtype.NegativeInfinity:
		ts = "-infinity"
	default:
		ts = strconv.FormatInt(t.Time.UnixMicro(), 10)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(ts + "," + uuidString(id)))
}

func decodePageToken(token string) (pgtype.Timestamptz, pgtype.UUID, bool) {
	var t pgtype.Timestamptz
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return t, pgtype.UUID{}, false
	}
	ts, idText, found := strings.Cut(string(raw), ",")
	if !found {
		return t, pgtype.UUID{}, false
	}
	id, ok := parseUUID(idText)
	if !ok {
		return t, id, false
	}
	t.Status = pgtype.Present
	switch ts {
	case "infinity":
		t.InfinityModifier = pgtype.Infinity
	case "-infinity":
		t.InfinityModifier = pgtype.NegativeInfinity
	default:
		us, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return t, id, false
		}
		t.Time = time.UnixMicro(us).UTC()
	}
	return t, id, true
}

func (s *userServer) ListUsers(ctx context.Context, req *datav1.ListUsersRequest) (*datav1.ListUsersResponse, error) {
	if req.GetOrder() == datav1.SortOrder_SORT_ORDER_DESCENDING {
		return nil, status.Error(codes.Unimplemented, "order: only ascending is implemented by the Go peer")
	}
	if req.GetIncludeTotalSize() {
		return nil, status.Error(codes.Unimplemented, "include_total_size: not implemented by the Go peer")
	}
	size := req.GetPageSize()
	switch {
	case size < 0:
		return nil, status.Error(codes.InvalidArgument, "page_size: must not be negative")
	case size == 0:
		size = defaultPageSize
	case size > maxPageSize:
		size = maxPageSize
	}
	arg := ListUsersParams{
		CursorTime: firstCursorTime,
		CursorID:   pgtype.UUID{Status: pgtype.Present},
		PageLimit:  size,
	}
	if req.GetPageToken() != "" {
		t, id, ok := decodePageToken(req.GetPageToken())
		if !ok {
			return nil, status.Error(codes.InvalidArgument, "page_token: malformed")
		}
		arg.CursorTime, arg.CursorID = t, id
	}
	if at := req.GetAccountType(); at != datav1.AccountType_ACCOUNT_TYPE_UNSPECIFIED {
		text, ok := accountTypes.toDB[int32(at)]
		if !ok {
			return nil, status.Errorf(codes.InvalidArgument, "account_type: unknown value %d", int32(at))
		}
		arg.AccountType = sql.NullString{String: text, Valid: true}
	}
	rows, err := s.q.ListUsers(ctx, arg)
	if err != nil {
		return nil, dbError("ListUsers", err)
	}
	resp := &datav1.ListUsersResponse{Users: make([]*datav1.User, len(rows))}
	for i := range rows {
		resp.Users[i] = userMessage(&rows[i])
	}
	if n := len(rows); n == int(size) {
		resp.NextPageToken = encodePageToken(rows[n-1].CreatedAt, rows[n-1].ID)
	}
	return resp, nil
}

type sessionServer struct {
	datav1.UnimplementedSessionServiceServer
	q *Queries
}

func (s *sessionServer) CreateSession(ctx context.Context, req *datav1.CreateSessionRequest) (*datav1.Session, error) {
	in := req.GetSession()
	if in == nil {
		return nil, status.Error(codes.InvalidArgument, "session: required")
	}
	arg := CreateSessionParams{
		ID:               pgtype.UUID{Status: pgtype.Null},
		RequestID:        pgtype.UUID{Status: pgtype.Null},
		RefreshToken:     in.GetRefreshToken(),
		UserAgent:        in.GetUserAgent(),
		WebOauthClientID: nullString(in.WebOauthClientId),
		OauthAccessToken: nullString(in.OauthAccessToken),
		OauthIDToken:     nullString(in.OauthIdToken),
		UserLoginType:    in.GetUserLoginType(),
		MfaEnabled:       in.GetMfaEnabled(),
		ClientIp:         in.GetClientIp(),
		IsBlocked:        in.GetIsBlocked(),
	}
	required := []struct{ name, value string }{
		{"session.user_id", in.GetUserId()},
		{"session.refresh_token", arg.RefreshToken},
		{"session.user_agent", arg.UserAgent},
		{"session.user_login_type", arg.UserLoginType},
		{"session.client_ip", arg.ClientIp},
	}
	for _, f := range required {
		if f.value == "" {
			return nil, status.Errorf(codes.InvalidArgument, "%s: required", f.name)
		}
	}
	var ok bool
	if arg.UserID, ok = parseUUID(in.GetUserId()); !ok {
		return nil, status.Error(codes.InvalidArgument, "session.user_id: not a valid UUID")
	}
	if in.GetId() != "" {
		if arg.ID, ok = parseUUID(in.GetId()); !ok {
			return nil, status.Error(codes.InvalidArgument, "session.id: not a valid UUID")
		}
	}
	if req.GetRequestId() != "" {
		if arg.RequestID, ok = parseUUID(req.GetRequestId()); !ok {
			return nil, status.Error(codes.InvalidArgument, "request_id: not a valid UUID")
		}
	}
	exp := in.GetExpiresAt()
	if exp == nil {
		return nil, status.Error(codes.InvalidArgument, "session.expires_at: required")
	}
	if exp.GetSeconds() < minTimestampSeconds || exp.GetSeconds() > maxTimestampSeconds ||
		exp.GetNanos() < 0 || exp.GetNanos() > 999999999 {
		return nil, status.Error(codes.InvalidArgument, "session.expires_at: timestamp out of range")
	}
	arg.ExpiresAt = exp.AsTime()

	row, err := s.q.CreateSession(ctx, arg)
	// An idempotent retry (AIP-155) inserts nothing: answer with the session
	// the first request created.
	if errors.Is(err, pgx.ErrNoRows) && arg.RequestID.Status == pgtype.Present {
		row, err = s.q.GetSessionByRequestId(ctx, arg.RequestID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, status.Error(codes.Aborted, "a concurrent request used the same request_id")
		}
	}
	if err != nil {
		return nil, dbError("CreateSession", err)
	}
	return sessionMessage(&row), nil
}

// ---------------------------------------------------------------------------

func main() {
	listen := flag.String("listen", "127.0.0.1:50061", "host:port to serve gRPC on")
	databaseURL := flag.String("database_url", os.Getenv("DATABASE_URL"), "libpq URI of the database (default: $DATABASE_URL)")
	poolSize := flag.Int("pool_size", 10, "connections in the pgx pool (pgxpool MaxConns)")
	flag.Parse()
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetPrefix("defifundr-data-go-peer: ")
	if *databaseURL == "" {
		log.Fatal("-database_url or DATABASE_URL is required")
	}
	if *poolSize < 1 {
		log.Fatal("-pool_size must be at least 1")
	}

	config, err := pgxpool.ParseConfig(*databaseURL)
	if err != nil {
		log.Fatalf("-database_url: %v", err)
	}
	config.MaxConns = int32(*poolSize)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	pool, err := pgxpool.ConnectConfig(ctx, config)
	if err == nil {
		err = pool.Ping(ctx)
	}
	cancel()
	if err != nil {
		log.Fatalf("connect to the database: %v", err)
	}
	defer pool.Close()

	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("listen on %s: %v", *listen, err)
	}
	server := grpc.NewServer()
	q := New(pool)
	datav1.RegisterUserServiceServer(server, &userServer{q: q})
	datav1.RegisterSessionServiceServer(server, &sessionServer{q: q})
	healthServer := health.NewServer()
	healthServer.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for name := range server.GetServiceInfo() {
		healthServer.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	healthpb.RegisterHealthServer(server, healthServer)
	reflection.Register(server)

	// make bench reads the port (with -listen 127.0.0.1:0, a free one).
	log.Printf("listening on %s", lis.Addr())

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		healthServer.Shutdown()
		server.GracefulStop()
	}()

	if err := server.Serve(lis); err != nil {
		log.Fatalf("serve: %v", err)
	}
}
