// Where relying parties find a CA's certificate, CRL and OCSP responder. One place, so the
// URLs certificates carry and the routes fleetpki serves never drift apart.

export function caUrls(publicUrl: string, caName: string) {
  return {
    caIssuers: `${publicUrl}/ca/${caName}.cer`,
    crl: `${publicUrl}/crl/${caName}.crl`,
    ocsp: `${publicUrl}/ocsp`,
  };
}

/** The CRL of one partition (src/revocation/partition.ts) of a CA's certificates. */
export function crlPartitionUrl(publicUrl: string, caName: string, partition: string): string {
  return `${publicUrl}/crl/${caName}/${partition}.crl`;
}
