"""The official Python SDK (oss2) against the local server: run by spec/interop/oss2.spec.ts.

Usage: python3 oss2-client.py <endpoint> <access-key-id> <access-key-secret> <bucket> <v1|v4> <work-dir>
Prints one JSON object of observations on stdout; any failed check raises (non-zero exit, traceback on stderr).
"""
import hashlib
import json
import os
import sys

import oss2

endpoint, ak, sk, bucket_name, version, work = sys.argv[1:7]
region = 'cn-hangzhou'
auth = oss2.AuthV4(ak, sk) if version == 'v4' else oss2.Auth(ak, sk)
bucket = oss2.Bucket(auth, endpoint, bucket_name, region=region)
service = oss2.Service(auth, endpoint, region=region)
prefix = version + '/'
os.makedirs(work, exist_ok=True)
out = {}


def data(n, seed):
    return bytes(((i * 7 + seed) & 0xFF) for i in range(n))


def sha(b):
    return hashlib.sha256(b).hexdigest()


# put_object: oss2 checks the CRC-64 of what it sent against x-oss-hash-crc64ecma (enable_crc defaults to True).
body = data(300 * 1024 + 5, 1)
put = bucket.put_object(prefix + 'put.bin', body, headers={'x-oss-meta-who': 'oss2'})
out['put'] = {'status': put.status, 'etag': put.etag, 'crc': str(put.crc)}
out['get_sha256'] = sha(bucket.get_object(prefix + 'put.bin').read())

# get_object_meta: the size in Content-Length.
meta = bucket.get_object_meta(prefix + 'put.bin')
out['meta'] = {'content_length': meta.content_length, 'etag': meta.etag}

# append_object, chaining the CRC-64 from the previous answer.
first = bucket.append_object(prefix + 'app.log', 0, b'hello ')
second = bucket.append_object(prefix + 'app.log', first.next_position, b'world', init_crc=first.crc)
out['append'] = {'next': second.next_position, 'content': bucket.get_object(prefix + 'app.log').read().decode()}
try:
    bucket.append_object(prefix + 'app.log', 0, b'x')
    out['stale_append'] = None
except oss2.exceptions.PositionNotEqualToLength as e:
    out['stale_append'] = {'status': e.status, 'next_position': e.next_position, 'message': e.message}

# Multipart by hand, listed through PartIterator (ListParts dates are parsed by oss2).
key = prefix + 'multi.bin'
parts_data = [data(100 * 1024, 2), data(100 * 1024, 3), data(777, 4)]
upload_id = bucket.init_multipart_upload(key).upload_id
infos = []
for i, chunk in enumerate(parts_data, start=1):
    r = bucket.upload_part(key, upload_id, i, chunk)
    infos.append(oss2.models.PartInfo(i, r.etag, size=len(chunk), part_crc=r.crc))
listed = [(p.part_number, p.size, p.etag) for p in oss2.PartIterator(bucket, key, upload_id, max_parts=1)]
uploads = [u.key for u in oss2.MultipartUploadIterator(bucket, prefix=prefix)]
done = bucket.complete_multipart_upload(key, upload_id, infos)
out['multipart'] = {
    'listed': [[n, s] for n, s, _ in listed],
    'uploads': uploads,
    'status': done.status,
    'sha256': sha(bucket.get_object(key).read()),
}

# resumable_upload of a file over the multipart threshold, with two threads and a store under work/.
path = os.path.join(work, 'big.bin')
big = data(1024 * 1024 + 3, 5)
with open(path, 'wb') as f:
    f.write(big)
store = oss2.ResumableStore(root=work)
oss2.resumable_upload(bucket, prefix + 'resumable.bin', path, store=store,
                      multipart_threshold=200 * 1024, part_size=100 * 1024, num_threads=2)
head = bucket.head_object(prefix + 'resumable.bin')
out['resumable'] = {
    'sha256': sha(bucket.get_object(prefix + 'resumable.bin').read()),
    'object_type': head.object_type,
    'content_length': head.content_length,
}

# Listing iterators: ObjectIterator pages with max_keys (LastModified parsed), BucketIterator with a prefix.
objects = [(o.key, o.size, o.last_modified) for o in oss2.ObjectIterator(bucket, prefix=prefix, max_keys=2)]
out['objects'] = [[k, s] for k, s, _ in objects]
out['objects_have_times'] = all(isinstance(t, int) and t > 0 for _, _, t in objects)
out['buckets'] = [b.name for b in oss2.BucketIterator(service, prefix='oss2-', max_keys=1)]

print(json.dumps(out))
