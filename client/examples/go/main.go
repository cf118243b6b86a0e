// Command defifundr-data-go-example shows a Go service calling the DefiFundr
// data service through stubs generated from our .proto files
// (`make proto-go`). CI compiles it against Debian's Go gRPC packages
// (scripts/proto_go.sh); run it against a server with
//
//	defifundr-data-go-example -target localhost:50051
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"time"

	datav1 "github.com/demola234/defifundr/data/v1"
	"google.golang.org/grpc"
)

func main() {
	target := flag.String("target", "localhost:50051", "host:port of the data service")
	flag.Parse()

	conn, err := grpc.Dial(*target, grpc.WithInsecure())
	if err != nil {
		log.Fatalf("dial %s: %v", *target, err)
	}
	defer conn.Close()
	users := datav1.NewUserServiceClient(conn)
	// Every service has a client; these are the others.
	_ = datav1.NewSessionServiceClient(conn)
	_ = datav1.NewKycServiceClient(conn)
	_ = datav1.NewUserDeviceServiceClient(conn)
	_ = datav1.NewOtpServiceClient(conn)
	_ = datav1.NewTransactionServiceClient(conn)

	// Every user, 100 per page (keyset pagination: follow next_page_token).
	request := &datav1.ListUsersRequest{PageSize: 100}
	count := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		page, err := users.ListUsers(ctx, request)
		cancel()
		if err != nil {
			log.Fatalf("ListUsers: %v", err)
		}
		for _, u := range page.GetUsers() {
			count++
			if count <= 3 {
				fmt.Printf("%s %s %s\n", u.GetId(), u.GetEmail(), u.GetAccountType())
			}
		}
		if page.GetNextPageToken() == "" {
			break
		}
		request.PageToken = page.GetNextPageToken()
	}
	fmt.Printf("%d users\n", count)
}
